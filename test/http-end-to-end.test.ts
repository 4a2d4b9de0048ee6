// The worker's HTTP API wired to its real job manager and a real light-mode engine on loopback: the answer is the
// vectors' nonce, a finished job is answered from memory, one job runs at a time while junk requests come and go,
// and /status and /metrics follow the real work. The rest of the contract is test/http-contract.test.ts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { pollUntilAnswered } from "./support/poll";
import { until } from "./support/until";
import { fromHex, smallestVectors } from "./support/vectors";
import { jobPath, SLOW_JOB, startWorker } from "./support/worker";

let worker: Awaited<ReturnType<typeof startWorker>>;
beforeAll(async () => {
  worker = await startWorker({ threads: 1 });
});
afterAll(() => worker?.stop());

const get = async (path: string) => {
  const r = await fetch(worker.base + path);
  return { status: r.status, body: await r.text() };
};
const status = async () => (await (await fetch(`${worker.base}/status`)).json()) as Record<string, any>;

const v = smallestVectors.find((x) => x.smallest_valid_nonce === "10")!;
const easy = { miner: v.miner, nonceGroup: v.nonce_group, challenge: v.challenge, difficulty: v.difficulty };

test("a job is 201, then 200 with the vectors' smallest valid nonce; asked again in upper case, answered from memory", async () => {
  expect(await get(jobPath(easy))).toEqual({ status: 201, body: "" });
  // One thread from nonce 0: the vector's smallest valid nonce.
  expect(await pollUntilAnswered(worker.base + jobPath(easy))).toEqual({ status: 200, body: v.smallest_valid_nonce });
  const hashes = worker.engine.status().hashes;
  const upper = { ...easy, miner: easy.miner.toUpperCase(), challenge: easy.challenge.toUpperCase() };
  expect(await get(jobPath(upper))).toEqual({ status: 200, body: v.smallest_valid_nonce });
  expect(worker.engine.status().hashes).toBe(hashes);
  expect(await status()).toMatchObject({
    engine: { mode: "light", threads: 1, phase: "ready" },
    dataset: { state: "none" },
    job: null,
    jobs: { done: 1, failed: 0 },
  });
});

test("while a job runs (~8 s on one thread): 201 again, another job 429, junk does not disturb it, and it ends with a valid nonce", async () => {
  expect(await get(jobPath(SLOW_JOB))).toEqual({ status: 201, body: "" });
  await until("the job to be searched", async () => worker.engine.status().searching !== null);
  expect((await get(jobPath({ ...SLOW_JOB, difficulty: SLOW_JOB.difficulty.toUpperCase() }))).status).toBe(201);
  expect((await get(jobPath({ ...easy, nonceGroup: 9 }))).status).toBe(429);
  const running = await status();
  expect(running.job).toMatchObject({ ...SLOW_JOB, state: "running" });
  expect(running.job.expectedHashes).toBeCloseTo(400, 0);

  const requests: [string, number][] = [];
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 0) requests.push([jobPath({ ...easy, nonceGroup: i % 256 }), 429]);
    else if (i % 3 === 1) requests.push([jobPath({ ...easy, nonceGroup: 256 + i }), 400]);
    else requests.push([`/nope/${i}`, 404]);
  }
  const statuses = await Promise.all(requests.map(async ([path]) => (await fetch(worker.base + path)).status));
  statuses.forEach((s, i) => expect([i, s]).toEqual([i, requests[i]![1]]));
  expect(worker.engine.status().searching).not.toBeNull();

  const answer = await pollUntilAnswered(worker.base + jobPath(SLOW_JOB));
  expect(answer.status).toBe(200);
  const job = { miner: fromHex(SLOW_JOB.miner), nonceGroup: 7, challenge: fromHex(SLOW_JOB.challenge), difficulty: fromHex(SLOW_JOB.difficulty) };
  expect(worker.engine.verify(job, BigInt(answer.body))).toBe(true);
  expect(await status()).toMatchObject({ job: null, jobs: { done: 2, failed: 0 }, refused: { busy: 101, malformed: 100 } });
  const metrics = await (await fetch(`${worker.base}/metrics`)).text();
  expect(metrics).toMatch(/^k2pow_jobs_total\{outcome="done"\} 2$/m);
  expect(metrics).toMatch(/^k2pow_job_duration_seconds_count\{outcome="done"\} 2$/m);
  expect(Number(metrics.match(/^k2pow_hashes_total (\d+)$/m)?.[1])).toBeGreaterThanOrEqual(378);
});
