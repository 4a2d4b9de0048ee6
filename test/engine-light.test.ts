// The engine in light mode (256 MiB cache, ~1 s to start): the hashing rule against the reference vectors, the
// search on one and two threads, ranges, cancellation, refusals, and a search thread that dies.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Engine } from "../src/engine/engine";
import { EngineError, NoValidNonce, SearchCancelled } from "../src/engine/engine-error";
import { CHUNK } from "../src/engine/search";
import { hashInput, meetsDifficulty } from "../src/engine/k2pow-rule";
import { hugetlbFree } from "../src/engine/resources";
import { failureOf } from "./support/failure";
import { until } from "./support/until";
import { EASY, fromHex, hashVectors, jobOf, smallestVectors, toHex, UNREACHABLE } from "./support/vectors";

let one: Engine;
let two: Engine;

beforeAll(async () => {
  one = new Engine({ mode: "light", threads: 1 });
  two = new Engine({ mode: "light", threads: 2 });
  await Promise.all([one.ready, two.ready]);
});

afterAll(async () => {
  await Promise.all([one?.close(), two?.close()]);
});

/** A job with a miner and challenge that differ per (group, seed), at a difficulty met about once in 16. */
function easyJob(nonceGroup: number, seed: number) {
  const miner = new Uint8Array(32).map((_, i) => (i * 31 + seed * 7 + nonceGroup) & 0xff);
  const challenge = new Uint8Array(8).map((_, i) => (i * 13 + seed) & 0xff);
  return { miner, nonceGroup, challenge, difficulty: fromHex(EASY) };
}

describe("light mode", () => {
  test("reports its mode and threads", () => {
    const s = two.status();
    expect(s.phase).toBe("ready");
    expect(s.mode).toBe("light");
    expect(s.threads).toBe(2);
    expect(s.dataset).toBeNull();
  });

  test.each(hashVectors.map((v) => [v.nonce, v] as const))("hash of nonce %s matches the vector", (nonce, v) => {
    const job = jobOf(v, UNREACHABLE);
    expect(toHex(two.hash(hashInput(job, BigInt(nonce))))).toBe(v.hash);
  });

  test.each(smallestVectors.map((v) => [v.smallest_valid_nonce, v.nonce_group, v] as const))(
    "one thread from nonce 0 finds the smallest valid nonce %s (group %d)",
    async (smallest, _group, v) => {
      const job = jobOf(v, v.difficulty);
      const result = await one.search(job);
      expect(result.nonce).toBe(BigInt(smallest));
      expect(result.hashes).toBe(BigInt(smallest) + 1n);
    },
  );

  test.each(smallestVectors.map((v) => [v.nonce_group, v] as const))(
    "two threads find a valid nonce for the vector of group %d",
    async (_group, v) => {
      const job = jobOf(v, v.difficulty);
      const { nonce } = await two.search(job);
      expect(one.verify(job, nonce)).toBe(true);
      // Every nonce below the smallest is invalid, so the answer can never be one of them.
      expect(nonce >= BigInt(v.smallest_valid_nonce)).toBe(true);
    },
  );

  for (const group of [0, 255]) {
    for (const threads of [1, 2]) {
      test(`nonce group ${group} on ${threads} thread(s): every result verifies`, async () => {
        const engine = threads === 1 ? one : two;
        for (let seed = 0; seed < 3; seed++) {
          const job = easyJob(group, seed);
          const { nonce } = await engine.search(job);
          expect(meetsDifficulty(two.hash(hashInput(job, nonce)), job.difficulty)).toBe(true);
        }
      });
    }
  }

  test("a range search starts where it is told and ends where it is told", async () => {
    const v = smallestVectors.find((x) => x.smallest_valid_nonce === "16")!;
    const job = jobOf(v, v.difficulty);
    expect((await one.search(job, { start: 11n, count: 100n })).nonce).toBe(16n);
    const before = one.status().hashes;
    expect((await failureOf(one.search(job, { start: 0n, count: 16n }))).message).toBe("no valid nonce in nonces 0..15");
    expect(one.status().hashes - before).toBe(16n);
    expect((await failureOf(one.search(job, { start: (1n << 56n) - 1n, count: 2n }))).message).toMatch(/not inside 0..2\^56/);
  });

  test("with a share target, every nonce below it is a share, the valid one is still the answer", async () => {
    const v = smallestVectors.find((x) => x.smallest_valid_nonce === "16")!;
    const job = jobOf(v, v.difficulty);
    const shareTarget = fromHex("3f" + "ff".repeat(31));
    const below = (nonce: bigint, target: Uint8Array) => meetsDifficulty(one.hash(hashInput(job, nonce)), target);
    const expected = Array.from({ length: 16 }, (_, i) => BigInt(i)).filter((n) => below(n, shareTarget));
    expect(expected.length).toBeGreaterThan(0);
    const shares: bigint[] = [];
    const result = await one.search(job, { shareTarget, onShare: (n) => shares.push(n) });
    expect(result.nonce).toBe(16n);
    expect(result.hashes).toBe(17n);
    expect(shares).toEqual(expected);
  });

  test("shares on two threads cover the whole range, and a range without a valid nonce still ends as such", async () => {
    const v = smallestVectors[0]!;
    const job = jobOf(v, UNREACHABLE);
    const shareTarget = fromHex("3f" + "ff".repeat(31));
    const expected = Array.from({ length: 40 }, (_, i) => BigInt(100 + i)).filter((n) =>
      meetsDifficulty(one.hash(hashInput(job, n)), shareTarget),
    );
    const shares: bigint[] = [];
    const failure = await failureOf(two.search(job, { start: 100n, count: 40n, shareTarget, onShare: (n) => shares.push(n) }));
    expect(failure.name).toBe("NoValidNonce");
    expect(shares.sort((a, b) => (a < b ? -1 : 1))).toEqual(expected);
  });

  test("an input that is not 48 bytes is refused, not read past its end", () => {
    expect(() => two.hash(new Uint8Array(47))).toThrow("a k2pow input is 48 bytes, got 47");
  });

  test("the job searched is the one asked for, even if the caller's arrays change meanwhile", async () => {
    const v = smallestVectors.find((x) => x.smallest_valid_nonce === "16")!;
    const job = jobOf(v, v.difficulty);
    const pending = one.search(job);
    job.challenge.fill(0);
    job.difficulty.fill(0xff);
    expect((await pending).nonce).toBe(16n);
  });

  test("an all-zero difficulty is refused before any hashing", async () => {
    const before = two.status().hashes;
    const job = { ...easyJob(1, 1), difficulty: new Uint8Array(32) };
    expect((await failureOf(two.search(job))).message).toMatch(/difficulty is zero/);
    expect(two.status().hashes).toBe(before);
  });

  test("a second search while one runs is refused, and the first goes on", async () => {
    const abort = new AbortController();
    const running = two.search(jobOf(hashVectors[0]!, UNREACHABLE), { signal: abort.signal });
    await until("the first search under way", async () => two.status().searching !== null);
    expect((await failureOf(two.search(easyJob(3, 3)))).message).toMatch(/already running/);
    expect(two.status().searching).not.toBeNull();
    abort.abort();
    expect(await failureOf(running)).toBeInstanceOf(SearchCancelled);
  });

  test("a cancelled search stops within the chunk each thread holds, and hashing stops with it", async () => {
    const abort = new AbortController();
    const running = two.search(jobOf(hashVectors[1]!, UNREACHABLE), { signal: abort.signal });
    await until("the search to have hashed", async () => (two.status().searching?.hashes ?? 0n) > 0n);
    const atAbort = two.status().hashes;
    const t0 = performance.now();
    abort.abort();
    expect(await failureOf(running)).toBeInstanceOf(SearchCancelled);
    // How long is the machine's business (bench/ has latency figures); how much more was hashed is the engine's.
    console.log(`cancelled search stopped in ${(performance.now() - t0).toFixed(1)} ms`);
    const after = two.status().hashes;
    expect(after - atAbort <= 2n * CHUNK.light).toBe(true);
    expect(two.status().searching).toBeNull();
    // Nothing hashes after it: a search of 8 nonces that holds no valid one adds exactly 8.
    expect(await failureOf(two.search(jobOf(hashVectors[1]!, UNREACHABLE), { start: 0n, count: 8n }))).toBeInstanceOf(NoValidNonce);
    expect(two.status().hashes).toBe(after + 8n);
  });

  test("the engine serves job after job without rebuilding", async () => {
    for (let seed = 10; seed < 16; seed++) {
      const job = easyJob(seed, seed);
      const t0 = performance.now();
      const { nonce } = await two.search(job);
      expect(two.verify(job, nonce)).toBe(true);
      // A light-mode hash is ~30 ms; rebuilding the cache would add most of a second.
      expect(performance.now() - t0).toBeLessThan(5_000);
    }
    expect(two.status().phase).toBe("ready");
  });
});

const crashingWorker = new URL("./fixtures/crashing-search-worker.ts", import.meta.url);

describe("a search thread that dies", () => {
  let engine: Engine;
  const notes: string[] = [];

  beforeAll(async () => {
    engine = new Engine({
      mode: "light",
      threads: 2,
      workerUrl: crashingWorker,
      onNote: (m) => notes.push(m),
    });
    await engine.ready;
  });

  afterAll(() => engine?.close());

  for (const [group, how] of [
    [201, /^search thread 1 stopped unexpectedly: simulated crash; the thread was restarted, retry the job$/],
    [202, /^search thread 1 stopped unexpectedly: the thread exited; the thread was restarted, retry the job$/],
  ] as const) {
    test(`becomes an error (group ${group}), and the engine stays usable`, async () => {
      const doomed = { ...easyJob(group, 0), difficulty: fromHex(UNREACHABLE) };
      const failure = await failureOf(engine.search(doomed));
      expect(failure).toBeInstanceOf(EngineError);
      expect(failure.message).toMatch(/search thread 1 stopped unexpectedly/);
      expect(failure.message).toMatch(how);
      expect(failure.message).toMatch(/restarted/);
      expect(engine.status().searching).toBeNull();

      for (const g of [0, 255]) {
        const job = easyJob(g, group);
        const { nonce } = await engine.search(job);
        expect(engine.verify(job, nonce)).toBe(true);
      }
      expect(notes.some((n) => n.includes("search thread 1 stopped"))).toBe(true);
    });
  }

  test("is replaced before the next job when it died while idle, and that job does not fail", async () => {
    const first = easyJob(203, 1);
    expect(engine.verify(first, (await engine.search(first)).nonce)).toBe(true);
    await until("thread 1 to end while idle", async () => engine.status().stoppedThreads.includes(1));
    notes.length = 0;
    const next = easyJob(0, 9);
    expect(engine.verify(next, (await engine.search(next)).nonce)).toBe(true);
    expect(notes).toContain("search thread 1 stopped (the thread exited); starting a new one");
  });

  for (const how of ["abort", "close"] as const) {
    test(`being replaced does not swallow a ${how} that comes meanwhile`, async () => {
      const subject =
        how === "close" ? new Engine({ mode: "light", threads: 2, workerUrl: crashingWorker }) : engine;
      await subject.ready;
      const first = easyJob(203, 2);
      await subject.search(first);
      // Once thread 1 is dead, the next search replaces it first.
      await until("thread 1 to end while idle", async () => subject.status().stoppedThreads.includes(1));
      const abort = new AbortController();
      const failure = failureOf(subject.search({ ...easyJob(0, 3), difficulty: fromHex(UNREACHABLE) }, { signal: abort.signal }));
      const t0 = performance.now();
      if (how === "abort") abort.abort();
      else await subject.close();
      expect(await failure).toBeInstanceOf(SearchCancelled);
      expect(performance.now() - t0).toBeLessThan(1_000);
      if (how === "abort") {
        const job = easyJob(255, 4);
        expect(subject.verify(job, (await subject.search(job)).nonce)).toBe(true);
      }
    });
  }
});

describe("an engine that cannot start", () => {
  test("fails with the thread's reason, ends its threads and frees its memory", async () => {
    const engine = new Engine({
      mode: "light",
      threads: 2,
      workerUrl: new URL("./fixtures/failing-vm-worker.ts", import.meta.url),
    });
    const failure = await failureOf(engine.ready);
    expect(failure.message).toBe("search thread 1: simulated: no memory for a VM");
    const s = engine.status();
    expect(s.phase).toBe("failed");
    expect(s.error).toBe(failure.message);
    expect((await failureOf(engine.search(easyJob(1, 1)))).message).toBe(failure.message);
    expect(() => engine.hash(new Uint8Array(48))).toThrow(/failed/);
    await engine.close();
  });

  // A machine with 2,300 MiB of huge pages free has nothing to refuse: reported skipped there.
  test.skipIf(hugetlbFree().bytes >= 2300 * 1024 * 1024)("refuses explicit huge pages it cannot have, saying what to change", async () => {
    const light = new Engine({ mode: "light", threads: 1, pages: "hugetlb" });
    expect((await failureOf(light.ready)).message).toMatch(/256 MiB cache in hugetlb pages.*raise vm\.nr_hugepages/);
    const fast = new Engine({ mode: "fast", threads: 1, pages: "hugetlb" });
    expect((await failureOf(fast.ready)).message).toMatch(/dataset in hugetlb pages.*set vm\.nr_hugepages to at least 1040/);
    await Promise.all([light.close(), fast.close()]);
  });
});

describe("closing", () => {
  test("close() ends a running search promptly and frees the engine", async () => {
    const engine = new Engine({ mode: "light", threads: 2 });
    await engine.ready;
    const failure = failureOf(engine.search(jobOf(hashVectors[2]!, UNREACHABLE)));
    await until("the search to have hashed", async () => (engine.status().searching?.hashes ?? 0n) > 0n);
    const t0 = performance.now();
    await engine.close();
    expect(await failure).toBeInstanceOf(SearchCancelled);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(engine.status().phase).toBe("closed");
    expect(() => engine.hash(new Uint8Array(48))).toThrow(/closed/);
    expect((await failureOf(engine.search(easyJob(1, 1)))).message).toBe("the engine is closed");
    await engine.close(); // a second close is harmless
  });

  test("close() while starting cancels a waiting search and leaves nothing running", async () => {
    const engine = new Engine({ mode: "light", threads: 2 });
    const failure = failureOf(engine.search(jobOf(hashVectors[3]!, UNREACHABLE)));
    await engine.close();
    expect(await failure).toBeInstanceOf(SearchCancelled);
    expect(engine.status().phase).toBe("closed");
    expect(engine.status().hashes).toBe(0n);
  });

  test("impossible options are refused with a message that says what to do", () => {
    expect(() => new Engine({ mode: "light", threads: -1 })).toThrow(/thread count must be/);
    expect(() => new Engine({ mode: "light", paths: { randomx: "/nonexistent/librandomx.so.0", shim: "/x.so" } })).toThrow(
      /cannot load the RandomX libraries.*build\.sh/,
    );
  });
});
