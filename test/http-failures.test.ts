// The answers that are not nonces: a job whose search keeps failing is 500 with the reason, remembered like a
// nonce, while one that fails once because a search thread died is run again and answered; and the memory of
// answers is bounded, the oldest forgotten first (a forgotten job simply runs again).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { crashOnceMarker } from "./fixtures/crashing-search-worker";
import { pollUntilAnswered } from "./support/poll";
import { EASY, UNREACHABLE } from "./support/vectors";
import { jobPath, startWorker } from "./support/worker";

let worker: Awaited<ReturnType<typeof startWorker>>;
beforeAll(async () => {
  worker = await startWorker({
    threads: 2,
    remember: 2,
    // Search thread 1 dies on nonce group 201 (test/fixtures/crashing-search-worker.ts).
    workerUrl: new URL("./fixtures/crashing-search-worker.ts", import.meta.url),
  });
});
afterAll(() => worker?.stop());

const job = (nonceGroup: number, difficulty = EASY) => ({ miner: "3c".repeat(32), nonceGroup, challenge: "0123456789abcdef", difficulty });

test("a job whose search thread dies once is run again and answered; post-service never sees the failure", async () => {
  rmSync(crashOnceMarker, { force: true });
  const answer = await pollUntilAnswered(worker.base + jobPath(job(204)));
  expect(answer.status).toBe(200);
  const retried = worker.events.find((e) => e.type === "retrying");
  expect(retried).toMatchObject({ attempt: 2, error: "search thread 1 stopped unexpectedly: simulated one-off crash; the thread was restarted, retry the job" });
  expect(worker.jobs.status().jobs).toMatchObject({ failed: 0, done: 1 });
  rmSync(crashOnceMarker, { force: true });
});

test("a job that keeps failing is 500 with the reason as the body, after 3 attempts, and stays so", async () => {
  const failing = jobPath(job(201, UNREACHABLE));
  const first = await pollUntilAnswered(worker.base + failing);
  expect(first.status).toBe(500);
  expect(first.body).toMatch(/^search thread 1 stopped unexpectedly: simulated crash; the thread was restarted, retry the job$/);
  expect(await pollUntilAnswered(worker.base + failing)).toEqual(first);
  expect(worker.jobs.status()).toMatchObject({ jobs: { failed: 1 }, job: null });
  expect(worker.events.filter((e) => e.type === "retrying" && e.key.includes("/201/")).length).toBe(2);
  const metrics = await (await fetch(worker.base + "/metrics")).text();
  expect(metrics).toMatch(/^k2pow_jobs_total\{outcome="failed"\} 1$/m);
  // The worker goes on: the next job is answered.
  expect((await pollUntilAnswered(worker.base + jobPath(job(3)))).status).toBe(200);
});

test("answers are remembered up to the bound; the oldest is forgotten and runs again when asked", async () => {
  const a = jobPath(job(10));
  const b = jobPath(job(11));
  const c = jobPath(job(12));
  for (const path of [a, b, c]) expect((await pollUntilAnswered(worker.base + path)).status).toBe(200);
  expect(worker.jobs.status().jobs.remembered).toBe(2);
  const started = worker.events.filter((e) => e.type === "started").length;
  expect((await fetch(worker.base + c)).status).toBe(200); // still remembered
  expect((await fetch(worker.base + a)).status).toBe(201); // forgotten: a new run
  expect(worker.events.filter((e) => e.type === "started").length).toBe(started + 1);
  expect((await pollUntilAnswered(worker.base + a)).status).toBe(200);
});
