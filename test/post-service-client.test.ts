// post-service's way of asking (SPEC §3: parallelism 5, backoff, retry on 201/429) against one real worker: six
// nonce groups, every nonce verified with a single hash, and nothing but 200/201/429 seen.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { askLikePostService } from "../src/client/post-service-client";
import { EASY, fromHex } from "./support/vectors";
import { startWorker } from "./support/worker";

let worker: Awaited<ReturnType<typeof startWorker>>;
beforeAll(async () => {
  worker = await startWorker({ threads: 2, auth: "node:pw" });
});
afterAll(() => worker?.stop());

test("six nonce groups, parallelism 5, all answered with valid nonces", async () => {
  const miner = "5a".repeat(32);
  const challenge = "c0ffee0123456789";
  const groups = [0, 1, 2, 3, 254, 255].map((nonceGroup) => ({ miner, nonceGroup, challenge, difficulty: EASY }));
  const seen = new Map<number | string, number>();
  const url = worker.base.replace("http://", "http://node:pw@");
  const outcomes = await askLikePostService(groups, {
    url,
    parallelism: 5,
    backoffMs: 100,
    timeoutMs: 60_000,
    onAnswer: (_g, status) => seen.set(status, (seen.get(status) ?? 0) + 1),
  });
  console.log("statuses seen:", Object.fromEntries(seen));
  expect([...seen.keys()].every((s) => s === 200 || s === 201 || s === 429)).toBe(true);
  expect(seen.get(429)).toBeGreaterThan(0); // one job at a time: the other four lanes were told to wait
  for (const outcome of outcomes) {
    if (!outcome.ok) throw new Error(`group ${outcome.nonceGroup}: ${outcome.error}`);
    const job = { miner: fromHex(miner), nonceGroup: outcome.nonceGroup, challenge: fromHex(challenge), difficulty: fromHex(EASY) };
    expect(worker.engine.verify(job, outcome.nonce)).toBe(true);
  }
  expect(outcomes.map((o) => o.nonceGroup)).toEqual([0, 1, 2, 3, 254, 255]);
});

test("a client that gets a status post-service does not know fails that group, naming it", async () => {
  const outcomes = await askLikePostService([{ miner: "zz", nonceGroup: 1, challenge: "00", difficulty: EASY }], {
    url: worker.base.replace("http://", "http://node:pw@"),
    parallelism: 1,
    backoffMs: 10,
  });
  expect(outcomes[0]).toMatchObject({ ok: false, error: "unknown status code 400" });
});
