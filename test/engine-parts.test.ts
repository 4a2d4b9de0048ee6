// The engine's parts on their own: the hasher with no Worker thread, the self-test every VM passes before "ready",
// and the chunked search that keeps every thread busy while its range has nonces left.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Engine } from "../src/engine/engine";
import { EngineError, NoValidNonce, SearchCancelled } from "../src/engine/engine-error";
import { Hasher } from "../src/engine/hasher";
import { thpOn } from "../src/engine/resources";
import { hashInput } from "../src/engine/k2pow-rule";
import { KNOWN_HASH, KNOWN_INPUT, selfTestFailure } from "../src/engine/self-test";
import { failureOf } from "./support/failure";
import { until } from "./support/until";
import { fromHex, hashVectors, jobOf, toHex, UNREACHABLE } from "./support/vectors";

/** Bytes of this process the kernel backs with transparent huge pages. */
const anonHugeBytes = () => Number(readFileSync("/proc/self/smaps_rollup", "utf8").match(/^AnonHugePages:\s+(\d+) kB$/m)![1]) * 1024;

const engines: Engine[] = [];
afterAll(() => Promise.all(engines.map((e) => e.close())));
function engine(options: ConstructorParameters<typeof Engine>[0]): Engine {
  const e = new Engine(options);
  engines.push(e);
  return e;
}

describe("the light hasher", () => {
  test("hashes every vector rightly on the calling thread, with no Worker", () => {
    const hasher = Hasher.light();
    try {
      for (const v of hashVectors) expect(toHex(hasher.hash(hashInput(jobOf(v, UNREACHABLE), BigInt(v.nonce))))).toBe(v.hash);
      const v = hashVectors[0]!;
      // The hash as a difficulty: the nonce is valid just below it, not at it.
      const hash = BigInt(`0x${v.hash}`);
      expect(hasher.verify(jobOf(v, (hash + 1n).toString(16).padStart(64, "0")), BigInt(v.nonce))).toBe(true);
      expect(hasher.verify(jobOf(v, v.hash), BigInt(v.nonce))).toBe(false);
      expect(hasher.verify(jobOf(v, v.hash), 1n << 56n)).toBe(false);
    } finally {
      hasher.close();
    }
    expect(() => hasher.hash(KNOWN_INPUT)).toThrow("the hasher is closed");
    hasher.close();
  });

  test("refuses an input that is not 48 bytes", () => {
    const hasher = Hasher.light();
    try {
      expect(() => hasher.hash(new Uint8Array(47))).toThrow("a k2pow input is 48 bytes, got 47");
    } finally {
      hasher.close();
    }
  });
});

describe("the self-test", () => {
  test("its known input and hash are the first reference vector", () => {
    const v = hashVectors[0]!;
    expect(toHex(KNOWN_INPUT)).toBe(toHex(hashInput(jobOf(v, UNREACHABLE), BigInt(v.nonce))));
    expect(KNOWN_HASH).toBe(v.hash);
    expect(selfTestFailure("x", fromHex(v.hash))).toBeNull();
  });

  test("a wrong hash is an error that names where and says no nonce could be trusted", () => {
    expect(selfTestFailure("search thread 3", new Uint8Array(32))).toBe(
      `self-test failed on search thread 3: RandomX hashed a known input to 0000000000000000…, the reference gives ` +
        `${KNOWN_HASH.slice(0, 16)}…; this CPU, its JIT or librandomx is broken, and no nonce it found could be trusted`,
    );
  });

  test("a search thread whose VM hashes wrongly stops the engine before ready, and searches are refused with the reason", async () => {
    const notes: string[] = [];
    const broken = engine({
      mode: "light",
      threads: 2,
      workerUrl: new URL("./fixtures/wrong-self-test-worker.ts", import.meta.url),
      onNote: (m) => notes.push(m),
    });
    const failure = await failureOf(broken.ready);
    expect(failure).toBeInstanceOf(EngineError);
    expect(failure.message).toStartWith("self-test failed on search thread 1: RandomX hashed a known input to abababababababab…");
    expect(broken.status().phase).toBe("failed");
    expect(broken.status().error).toBe(failure.message);
    expect(notes.some((n) => n.includes("ready"))).toBe(false);
    expect((await failureOf(broken.search(jobOf(hashVectors[0]!, UNREACHABLE)))).message).toBe(failure.message);
  });

  test("an engine that starts says its self-test passed, and the pages its cache is on: transparent huge pages where the kernel has them", async () => {
    const thp = thpOn();
    const notes: string[] = [];
    const before = anonHugeBytes();
    const ok = engine({ mode: "light", threads: 1, onNote: (m) => notes.push(m) });
    await ok.ready;
    expect(notes).toContain(`light mode ready: 1 thread, ${thp ? "thp" : "plain"} pages, self-test passed`);
    // The kernel really backs the 256 MiB cache with huge pages (most of it: it may fall short where memory is
    // fragmented), which takes about a quarter off a light-mode start's CPU time (bench/light-start.ts).
    if (thp) expect(anonHugeBytes() - before).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    await ok.close();
    const plain: string[] = [];
    const asked = engine({ mode: "light", threads: 1, pages: "plain", onNote: (m) => plain.push(m) });
    await asked.ready;
    expect(plain).toContain("light mode ready: 1 thread, plain pages, self-test passed");
    await asked.close();
  });
});

describe("a chunked search", () => {
  test("a thread that starts 6 s late finds the range already searched by the other", async () => {
    const late = engine({ mode: "light", threads: 2, workerUrl: new URL("./fixtures/late-thread-worker.ts", import.meta.url) });
    await late.ready;
    // About 1 s of one light-mode thread: all of it done long before thread 1 wakes up.
    const job = jobOf(hashVectors[2]!, UNREACHABLE);
    const failure = await failureOf(late.search(job, { start: 1000n, count: 32n }));
    expect(failure).toBeInstanceOf(NoValidNonce);
    expect(failure.message).toBe("no valid nonce in nonces 1000..1031");
    const [first, second] = late.status().hashesByThread;
    // Every nonce hashed once, and by thread 0: a fixed half per thread would have left 16 to thread 1.
    expect(first! + second!).toBe(32n);
    expect(second).toBe(0n);
  });

  test("after a cancel, every nonce below the searched prefix was hashed, and the prefix is close behind the hashing", async () => {
    const two = engine({ mode: "light", threads: 2 });
    await two.ready;
    const abort = new AbortController();
    const start = 5_000n;
    const running = two.search(jobOf(hashVectors[3]!, UNREACHABLE), { start, signal: abort.signal });
    // Well under way: several chunks done by each thread.
    await until("the search to have hashed 40 nonces", async () => (two.status().searching?.hashes ?? 0n) >= 40n);
    abort.abort();
    const failure = await failureOf(running);
    expect(failure).toBeInstanceOf(SearchCancelled);
    const prefix = (failure as SearchCancelled).searchedUpTo!;
    // A fresh engine: all its hashes are this search's.
    const hashed = two.status().hashes;
    const searched = prefix - start;
    // The prefix never claims more than was hashed. Beyond it lie only the two threads' chunks in hand and those the
    // quicker thread finished past the slower one's: a few light-mode chunks of 4, not a slice of the range.
    expect(searched > 0n).toBe(true);
    expect(hashed >= searched).toBe(true);
    expect(hashed - searched <= 32n).toBe(true);
  });
});
