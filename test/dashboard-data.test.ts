// What the dashboard shows of the past, below HTTP: the rate history (an hour of 5 s points, read from a given time
// on), the bounded lists of the last few things, and the worker's job manager filling them from real searches on a
// one-thread light-mode engine, whose answers are checked against the reference vectors.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Engine } from "../src/engine/engine";
import { JobManager } from "../src/jobs/job-manager";
import { RateHistory } from "../src/jobs/rate-history";
import { RecentList } from "../src/jobs/recent-list";
import { until } from "./support/until";
import { fromHex, jobOf, smallestVectors, UNREACHABLE } from "./support/vectors";

test("the rate history keeps an hour of points and gives those strictly after `since`, oldest first", () => {
  const history = new RateHistory();
  const start = 1_800_000_000_000;
  for (let i = 0; i < 800; i++) history.add({ at: start + i * 5000, total: i });
  const { intervalSeconds, windowSeconds, points } = history.since();
  expect({ intervalSeconds, windowSeconds }).toEqual({ intervalSeconds: 5, windowSeconds: 3600 });
  // An hour back from the newest point, that point excluded: 720 points of 5 s.
  expect(points).toHaveLength(720);
  expect(points[0]).toEqual({ at: start + 80 * 5000, total: 80 });
  expect(points.at(-1)).toEqual({ at: start + 799 * 5000, total: 799 });
  expect(history.since(start + 797 * 5000).points.map((p) => p.total)).toEqual([798, 799]);
  expect(history.since(start + 799 * 5000).points).toEqual([]);
  expect(history.since(0).points).toHaveLength(720);
});

test("a recent list keeps the newest 20, newest first, and hands out copies", () => {
  const list = new RecentList<number>();
  for (let i = 1; i <= 25; i++) list.add(i);
  const items = list.items();
  expect(items).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
  items.pop();
  expect(list.items()).toHaveLength(20);
});

let engine: Engine;
beforeAll(async () => {
  engine = new Engine({ mode: "light", threads: 1 });
  await engine.ready;
});
afterAll(async () => {
  await engine?.close();
});

test("the job manager lists each job done (the vectors' nonce, its rate) and failed (with the error), newest first", async () => {
  const jobs = new JobManager(engine, { jobTimeoutSeconds: 2 });
  try {
    const before = Date.now();
    // One thread claims its chunks in order from 0: the first valid nonce it finds is the smallest.
    const vector = smallestVectors.find((v) => BigInt(v.smallest_valid_nonce) < 64n)!;
    const key = `${vector.miner}/${vector.nonce_group}/${vector.challenge}/${vector.difficulty}`;
    jobs.request(key, jobOf(vector, vector.difficulty));
    const done = await until("the vector's job to end", async () => jobs.status().recent.jobs[0], 30_000);
    expect(done).toMatchObject({ key, outcome: "done", nonce: BigInt(vector.smallest_valid_nonce), error: null });
    expect(done.hashes).toBeGreaterThan(BigInt(vector.smallest_valid_nonce));
    expect(done.hashRate).toBeGreaterThan(0);
    expect(done.finishedAt).toBeGreaterThanOrEqual(before);

    const hopeless = `${"11".repeat(32)}/1/${"22".repeat(8)}/${UNREACHABLE}`;
    jobs.request(hopeless, { miner: fromHex("11".repeat(32)), nonceGroup: 1, challenge: fromHex("22".repeat(8)), difficulty: fromHex(UNREACHABLE) });
    await until("the hopeless job to time out", async () => jobs.status().recent.jobs.length === 2, 30_000);
    const { jobs: recent, errors } = jobs.status().recent;
    expect(recent.map((j) => [j.key, j.outcome])).toEqual([
      [hopeless, "failed"],
      [key, "done"],
    ]);
    expect(recent[0]).toMatchObject({ nonce: null, hashes: null, hashRate: null, error: "timed out after 2 s (the worker's --job-timeout)" });
    expect(errors).toEqual([{ at: recent[0]!.finishedAt, key: hopeless, message: "timed out after 2 s (the worker's --job-timeout)" }]);
  } finally {
    await jobs.close();
  }
}, 60_000);
