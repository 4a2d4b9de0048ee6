// No single request can wedge a worker or a pool (real processes on loopback): a job no identity needs is refused
// with 400 and the next real job runs at once; a job past --job-timeout answers 500 and the next runs; DELETE frees
// a worker at once; an open server says so; and 1,000 junk jobs from one address cannot keep a post-service-like
// client on another from getting every nonce. Refusals show in /status and /metrics by reason. Who may DELETE, with
// and without --auth, is test/http-contract.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { askLikePostService } from "../src/client/post-service-client";
import { Engine } from "../src/engine/engine";
import { hashInput, meetsDifficulty, postServiceDifficulty } from "../src/engine/k2pow-rule";
import { LARGEST_UNITS } from "../src/jobs/work-bound";
import { requestFrom, ownNonLoopbackAddress } from "./support/from-address";
import { startK2pow } from "./support/k2pow-process";
import { pollUntilAnswered } from "./support/poll";
import { fromHex, smallestVectors } from "./support/vectors";
import { jobPath } from "./support/worker";

const main = join(import.meta.dir, "..", "src", "main.ts");
const TOKEN = "limits-test-token-0123456789abcdef";
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_WORKER_TOKEN: TOKEN };
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Difficulty 1: 2^256 expected hashes, the junk request of the issue (which reckoned it 2^248). */
const IMPOSSIBLE = "00".repeat(31) + "01";
/** Exactly the bound: post-service's difficulty for the largest identity the default admits. */
const AT_BOUND = hex(postServiceDifficulty(LARGEST_UNITS));
/** One space unit past it. */
const PAST_BOUND = hex(postServiceDifficulty(LARGEST_UNITS + 1));
/** 15 hashes in 16 are below it: a client's job takes a hash or two, never near the junk's timeout. */
const EASY = "f0" + "ff".repeat(31);

const v = smallestVectors.find((x) => x.smallest_valid_nonce === "10")!;
const real = { miner: v.miner, nonceGroup: v.nonce_group, challenge: v.challenge, difficulty: v.difficulty };
const q = smallestVectors.find((x) => x.smallest_valid_nonce === "0")!;
const quick = { miner: q.miner, nonceGroup: q.nonce_group, challenge: q.challenge, difficulty: q.difficulty };
const hard = (nonceGroup = 1, difficulty = AT_BOUND) => ({ miner: "6b".repeat(32), nonceGroup, challenge: "0102030405060708", difficulty });

const worker = (...args: string[]) =>
  startK2pow([process.execPath, main, "serve", "--randomx-mode", "light", "--cores", "1", ...args], { env });
const pool = (...args: string[]) =>
  startK2pow([process.execPath, main, "pool", "--db", ":memory:", "--check-mode", "light", ...args], { env });

const get = async (url: string, init?: RequestInit) => {
  const r = await fetch(url, init);
  return { status: r.status, body: await r.text() };
};
const status = async (base: string) =>
  (await (await fetch(`${base}/status`)).json()) as {
    refused: Record<string, number>;
    security: { auth: string; warning: string | null };
    limits: Record<string, number>;
    jobs?: { failed: number };
    totals?: { queued: number };
  };
const refusedMetric = async (base: string, name: string, reason: string) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(text.match(new RegExp(`^${name}\\{reason="${reason}"\\} (\\d+)$`, "m"))?.[1]);
};

describe("the worker", () => {
  test("refuses 00…01 with 400 saying why, refuses one unit past the bound, takes a job at the bound, and a real job at once after DELETE", async () => {
    const w = await worker("-b", "127.0.0.1:0");
    const refused = await get(w.base + jobPath(hard(1, IMPOSSIBLE)));
    expect(refused).toEqual({
      status: 400,
      body: "the difficulty needs about 2^256 hashes: longer than any proving window on any machine; jobs are taken up to 4,915,200,000 (--max-expected-hashes)\n",
    });
    expect(await get(w.base + jobPath(hard(1, PAST_BOUND)))).toEqual({
      status: 400,
      body: "the difficulty needs about 4,915,204,688 hashes: more than post-service asks of any identity (4,687.5 per space unit); jobs are taken up to 4,915,200,000 (--max-expected-hashes)\n",
    });
    // The refusal held nothing: a real job runs at once.
    expect((await pollUntilAnswered(w.base + jobPath(real))).body).toBe(v.smallest_valid_nonce);

    // A hard but possible job is taken, holds the worker, and DELETE from this machine frees it at once.
    expect((await get(w.base + jobPath(hard(2)))).status).toBe(201);
    const other = { ...real, nonceGroup: (real.nonceGroup + 1) % 256 };
    expect((await get(w.base + jobPath(other))).status).toBe(429);
    expect(await get(w.base + jobPath(hard(2)), { method: "DELETE" })).toEqual({ status: 200, body: "cancelled\n" });
    expect((await get(w.base + jobPath(other))).status).toBe(201);
    expect((await pollUntilAnswered(w.base + jobPath(other))).status).toBe(200);
    // DELETE of a finished job forgets its answer: the next GET runs it again.
    expect(await get(w.base + jobPath(other), { method: "DELETE" })).toEqual({ status: 200, body: "cancelled\n" });
    expect(await get(w.base + jobPath(hard(3)), { method: "DELETE" })).toEqual({ status: 404, body: "no such job\n" });
    expect((await get(w.base + jobPath(other))).status).toBe(201);

    const s = await status(w.base);
    expect(s.refused).toEqual({ malformed: 0, impossible: 2, busy: 1, unauthorized: 0, guessing: 0, forbidden: 0 });
    expect(s.limits).toEqual({ maxExpectedHashes: 4_915_200_000, jobTimeoutSeconds: 43_200 });
    expect(s.security).toEqual({ auth: "none", warning: null });
    expect(await refusedMetric(w.base, "k2pow_requests_refused_total", "impossible")).toBe(2);
    expect(w.log()).not.toMatch(/WARN/);
  }, 60_000);

  test("a job past --job-timeout answers 500 'timed out', remembered, and the next job runs; open to the network, it warns", async () => {
    const w = await worker("-b", "0.0.0.0:0", "--job-timeout", "2");
    expect((await get(w.base + jobPath(hard(4)))).status).toBe(201);
    const timedOut = await pollUntilAnswered(w.base + jobPath(hard(4)));
    expect(timedOut.status).toBe(500);
    expect(timedOut.body).toMatch(/^timed out after \d+ s \(the worker's --job-timeout\)$/);
    expect(await get(w.base + jobPath(hard(4)))).toEqual(timedOut);
    // The next job needs one hash, so that it ends well inside the timeout however loaded the machine is.
    expect((await pollUntilAnswered(w.base + jobPath(quick))).body).toBe(q.smallest_valid_nonce);
    expect((await status(w.base)).jobs).toMatchObject({ failed: 1 });
    await w.logged(/ERROR job failed .*error="timed out after \d+ s \(the worker's --job-timeout\)"/);
    // Checked last: the warning is written just after the "listening" line the test waits for.
    expect(w.log()).toContain(
      "WARN  open to the network without --auth: anyone who reaches this port can run jobs on this worker, each for up to --job-timeout while post-service's wait, and read its jobs (miner ids, challenges, nonces) in /status and /ui; set --auth USER:PASSWORD (K2POW_AUTH), or bind to 127.0.0.1",
    );
  }, 60_000);
});

describe("the pool", () => {
  let checker: Engine;
  beforeAll(async () => {
    checker = new Engine({ mode: "light", threads: 1 });
    await checker.ready;
  });
  afterAll(() => checker?.close());

  test("refuses 00…01 with 400 and takes a job at the bound; DELETE from another address is 403", async () => {
    const p = await pool("-b", "127.0.0.1:0");
    const refused = await get(p.base + jobPath(hard(1, IMPOSSIBLE)));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/^the difficulty needs about 2\^256 hashes: longer than any proving window on any machine; .*\(--max-expected-hashes\)\n$/);
    expect((await get(p.base + jobPath(hard(1)))).status).toBe(201);
    const other = ownNonLoopbackAddress();
    if (other !== null) expect((await requestFrom(other, p.base, "DELETE", jobPath(hard(1)))).status).toBe(403);
    expect((await get(p.base + jobPath(hard(1)), { method: "DELETE" })).status).toBe(200);
    const s = await status(p.base);
    expect(s.refused).toEqual({ malformed: 0, impossible: 1, busy: 0, "queue-full": 0, "queue-share": 0, unauthorized: 0, guessing: 0, forbidden: other === null ? 0 : 1 });
    expect(s.limits).toEqual({ queueSize: 1000, queuePerAddress: 256, jobTimeoutSeconds: 43_200, maxExpectedHashes: 4_915_200_000 });
    expect(s.security.warning).toBeNull();
  }, 60_000);

  test("1,000 junk jobs from one address cannot keep a post-service-like client on another from getting every nonce", async () => {
    const p = await pool("-b", "0.0.0.0:0", "--job-timeout", "3");
    await startK2pow(
      [process.execPath, main, "join", p.base, "--randomx-mode", "light", "--cores", "1", "--name", "w"],
      { env, ready: /connected to the pool/ },
    );

    // 1,000 distinct hard but possible jobs from 127.0.0.2, 50 at a time.
    const t0 = performance.now();
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < 1000) {
          const i = next++;
          const junk = { miner: "6b".repeat(32), nonceGroup: i % 256, challenge: i.toString(16).padStart(16, "0"), difficulty: AT_BOUND };
          statuses.push((await requestFrom("127.0.0.2", p.base, "GET", jobPath(junk))).status);
        }
      }),
    );
    console.log(`1,000 junk requests in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    expect(statuses.filter((s) => s === 201)).toHaveLength(256);
    expect(statuses.filter((s) => s === 429)).toHaveLength(744);
    const share = await requestFrom("127.0.0.2", p.base, "GET", jobPath({ ...hard(0), challenge: "ffffffffffffffff" }));
    expect(share).toEqual({ status: 429, body: "this address holds 256 jobs in the pool's queue, its share (--queue-per-address); retry later\n" });

    // post-service from 127.0.0.1: its jobs take turns with the junk, each behind at most one junk job's timeout.
    const seen = new Set<number | string>();
    const groups = [0, 1, 2, 3].map((nonceGroup) => ({ miner: "c4".repeat(32), nonceGroup, challenge: "2122232425262728", difficulty: EASY }));
    const outcomes = await askLikePostService(groups, {
      url: p.base,
      parallelism: 2,
      backoffMs: 200,
      timeoutMs: 60_000,
      onAnswer: (_group, s) => seen.add(s),
    });
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome).toMatchObject({ ok: true });
      if (!outcome.ok) continue;
      const group = groups[i]!;
      const job = { miner: fromHex(group.miner), nonceGroup: group.nonceGroup, challenge: fromHex(group.challenge), difficulty: fromHex(EASY) };
      expect(meetsDifficulty(checker.hash(hashInput(job, outcome.nonce)), job.difficulty)).toBe(true);
    }
    expect([...seen].sort()).toEqual([200, 201]);
    const s = await status(p.base);
    expect(s.refused["queue-share"]).toBe(745);
    expect(await refusedMetric(p.base, "k2pow_pool_requests_refused_total", "queue-share")).toBe(745);
    await p.logged(/job failed .*error="timed out after \d+ s \(the pool's --job-timeout\)"/);
    // Checked last: the warning is written just after the "listening" line the test waits for.
    expect(p.log()).toMatch(/WARN  open to the network without --auth: anyone who reaches this port can queue jobs on this pool, up to --queue-per-address/);
  }, 120_000);
});
