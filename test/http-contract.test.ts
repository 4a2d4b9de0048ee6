// The HTTP contract post-service relies on (SPEC §3), against the real server and a real light-mode engine on
// loopback: every status, exact bodies, one job at a time, remembered answers, and what malformed requests get.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pollUntilAnswered } from "./support/poll";
import { rawGet } from "./support/raw-http";
import { fromHex, smallestVectors } from "./support/vectors";
import { jobPath, SLOW_JOB, startWorker } from "./support/worker";

let worker: Awaited<ReturnType<typeof startWorker>>;
beforeAll(async () => {
  worker = await startWorker({ threads: 1 });
});
afterAll(() => worker?.stop());

const get = async (path: string, headers: Record<string, string> = {}) => {
  const r = await fetch(worker.base + path, { headers });
  return { status: r.status, body: await r.text(), headers: r.headers };
};

const v = smallestVectors.find((x) => x.smallest_valid_nonce === "10")!;
const easy = { miner: v.miner, nonceGroup: v.nonce_group, challenge: v.challenge, difficulty: v.difficulty };

describe("the worker's HTTP API", () => {
  test("GET / is the upstream health body", async () => {
    expect(await get("/")).toMatchObject({ status: 200, body: "{ 'message': 'ok' }" });
  });

  test("a new job is 201 with an empty body, then 200 with the nonce's digits and nothing else", async () => {
    const first = await get(jobPath(easy));
    expect(first).toMatchObject({ status: 201, body: "" });
    const answer = await pollUntilAnswered(worker.base + jobPath(easy));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^[0-9]+$/);
    // One thread from nonce 0: the vector's smallest valid nonce.
    expect(answer.body).toBe(v.smallest_valid_nonce);
  });

  test("a finished job is answered at once, in either hex case, from memory", async () => {
    const hashes = worker.engine.status().hashes;
    const upper = { ...easy, miner: easy.miner.toUpperCase(), challenge: easy.challenge.toUpperCase() };
    expect(await get(jobPath(upper))).toMatchObject({ status: 200, body: v.smallest_valid_nonce });
    expect(await get(jobPath(easy))).toMatchObject({ status: 200, body: v.smallest_valid_nonce });
    expect(worker.engine.status().hashes).toBe(hashes);
  });

  const malformed: [string, string][] = [
    ["short miner", jobPath({ ...easy, miner: "ab" })],
    ["long miner", jobPath({ ...easy, miner: easy.miner + "00" })],
    ["non-hex miner", jobPath({ ...easy, miner: "g".repeat(64) })],
    ["group 256", jobPath({ ...easy, nonceGroup: 256 })],
    ["negative group", jobPath({ ...easy, nonceGroup: -1 })],
    ["group not a number", jobPath({ ...easy, nonceGroup: "x" })],
    ["short challenge", jobPath({ ...easy, challenge: "00" })],
    ["non-hex challenge", jobPath({ ...easy, challenge: "zz".repeat(8) })],
    ["short difficulty", jobPath({ ...easy, difficulty: "ff" })],
    ["zero difficulty", jobPath({ ...easy, difficulty: "0".repeat(64) })],
    ["0x prefix", jobPath({ ...easy, difficulty: "0x" + easy.difficulty.slice(2) })],
    ["extra path part", jobPath(easy) + "/extra"],
    ["missing part", `/job/${easy.miner}/${easy.nonceGroup}/${easy.challenge}`],
    ["empty part", `/job/${easy.miner}//${easy.challenge}/${easy.difficulty}`],
    ["bad percent-encoding", `/job/${easy.miner}/%zz/${easy.challenge}/${easy.difficulty}`],
  ];
  test.each(malformed)("%s is 400 with a message naming what is wrong", async (name, path) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    const part = name.split(" ").at(-1)!;
    if (["miner", "group", "challenge", "difficulty", "number", "prefix"].includes(part)) {
      expect(r.body).toMatch(/^(miner|nonce_group|challenge|difficulty) must /);
    } else {
      expect(r.body.length).toBeGreaterThan(10);
    }
  });

  test.each(["pow", "pow:80", "lb", "w1", "a-much-longer-host.example:3000"])(
    "a request with Host %s is routed by its path",
    async (host) => {
      expect(await rawGet(worker.base, "/", { Host: host })).toMatchObject({ status: 200, body: "{ 'message': 'ok' }" });
      const job = await rawGet(worker.base, jobPath(easy), { Host: host });
      expect(job).toMatchObject({ status: 200, body: v.smallest_valid_nonce });
      expect((await rawGet(worker.base, "/job/", { Host: host })).status).toBe(400);
    },
  );

  test("HTTP/1.0 without a Host header (as HAProxy's health checks ask) is answered", async () => {
    expect(await rawGet(worker.base, "/", {}, "1.0")).toMatchObject({ status: 200, body: "{ 'message': 'ok' }" });
    expect(await rawGet(worker.base, jobPath(easy), {}, "1.0")).toMatchObject({ status: 200, body: v.smallest_valid_nonce });
  });

  test("unknown paths and methods are 404", async () => {
    expect((await get("/jobs")).status).toBe(404);
    expect((await get("/job")).status).toBe(404);
    const post = await fetch(worker.base + jobPath(easy), { method: "POST" });
    expect(post.status).toBe(404);
  });

  test("/status and /metrics report the worker", async () => {
    const status = await (await fetch(worker.base + "/status")).json();
    expect(status).toMatchObject({ engine: { mode: "light", threads: 1, phase: "ready" }, dataset: { state: "none" }, jobs: { done: 1, failed: 0 } });
    const metrics = await get("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^k2pow_jobs_total\{outcome="done"\} 1$/m);
    expect(metrics.body).toMatch(/^k2pow_hashes_total \d+$/m);
    expect(metrics.body).toMatch(/^k2pow_job_duration_seconds_count\{outcome="done"\} 1$/m);
  });

  describe("while a job runs (one that takes ~8 s on one thread)", () => {
    test("the same job is 201 again, another is 429, and status shows its progress", async () => {
      expect(await get(jobPath(SLOW_JOB))).toMatchObject({ status: 201, body: "" });
      await Bun.sleep(300);
      expect(await get(jobPath(SLOW_JOB))).toMatchObject({ status: 201, body: "" });
      expect(await get(jobPath({ ...SLOW_JOB, difficulty: SLOW_JOB.difficulty.toUpperCase() }))).toMatchObject({ status: 201 });
      const other = await get(jobPath({ ...easy, nonceGroup: 9 }));
      expect(other.status).toBe(429);
      const status = (await (await fetch(worker.base + "/status")).json()) as { job: { expectedHashes: number } };
      expect(status.job).toMatchObject({ miner: SLOW_JOB.miner, nonceGroup: 7, state: "running" });
      expect(status.job.expectedHashes).toBeCloseTo(400, 0);
    });

    test("a few hundred malformed and other-job requests do not disturb it; it finishes with a valid nonce", async () => {
      const before = worker.engine.status().hashes;
      const requests: [string, number][] = [];
      for (let i = 0; i < 300; i++) {
        const [name, path] = malformed[i % malformed.length]!;
        if (i % 3 === 0) requests.push([jobPath({ ...easy, nonceGroup: i % 256 }), 429]);
        else if (i % 3 === 1) requests.push([path, 400]);
        else requests.push([`/nope/${i}/${name.replaceAll(" ", "-")}`, 404]);
      }
      const statuses = await Promise.all(requests.map(async ([path]) => (await fetch(worker.base + path)).status));
      statuses.forEach((status, i) => expect([i, status]).toEqual([i, requests[i]![1]]));
      expect(worker.engine.status().searching).not.toBeNull();
      expect((await get("/")).status).toBe(200);

      const answer = await pollUntilAnswered(worker.base + jobPath(SLOW_JOB));
      expect(answer.status).toBe(200);
      const job = { miner: fromHex(SLOW_JOB.miner), nonceGroup: 7, challenge: fromHex(SLOW_JOB.challenge), difficulty: fromHex(SLOW_JOB.difficulty) };
      expect(worker.engine.verify(job, BigInt(answer.body))).toBe(true);
      expect(worker.engine.status().hashes > before).toBe(true);
      expect(worker.jobs.status()).toMatchObject({ done: 2, failed: 0, job: null });
    });
  });
});

describe("with --auth", () => {
  let secured: Awaited<ReturnType<typeof startWorker>>;
  beforeAll(async () => {
    secured = await startWorker({ threads: 1, auth: "smesher:s3cret" });
  });
  afterAll(() => secured?.stop());

  test("everything but GET / needs the credentials post-service sends from user:password@", async () => {
    const at = (path: string, auth?: string) =>
      fetch(secured.base + path, { headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString("base64")}` } : {} });
    expect((await at("/")).status).toBe(200);
    const denied = await at(jobPath(easy));
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toBe('Basic realm="k2pow"');
    expect((await at(jobPath(easy), "smesher:wrong")).status).toBe(401);
    expect((await at("/status")).status).toBe(401);
    expect((await at(jobPath(easy), "smesher:s3cret")).status).toBe(201);
    expect(secured.jobs.status().job).not.toBeNull();
  });

  test("no path trick gets past it, whatever the Host", async () => {
    for (const host of ["abc", "pow:80", "k2pow.example"]) {
      for (const target of [`/#${jobPath(easy)}`, `/#/status`, `//status`, `/./status`, `/x/../metrics`, `/status#`, `/status?x=/`]) {
        const r = await rawGet(secured.base, target, { Host: host });
        // Either refused, or (the fragment dropped) the open health check: never a job, status or metrics answer.
        const kept = r.status === 401 || (r.status === 200 && r.body === "{ 'message': 'ok' }");
        expect({ target, host, status: r.status, kept }).toEqual({ target, host, status: r.status, kept: true });
      }
    }
  });
});
