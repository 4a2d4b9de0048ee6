// The pool's verifier: checks on RandomX threads of their own, against the reference vectors (light mode; fast mode
// on the run's shared dataset file), their order and batching, the main thread kept free, closing, and a thread
// that dies mid-batch.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { EngineError } from "../src/engine/engine-error";
import { hashInput } from "../src/engine/k2pow-rule";
import { Verifier, VerifierClosed, type CheckKind } from "../src/pool/verifier";
import { checkCrashMarker } from "./fixtures/check-crash-marker";
import { failureOf } from "./support/failure";
import { sharedDatasetFile } from "./support/shared-dataset";
import { fromHex, hashVectors, jobOf, UNREACHABLE } from "./support/vectors";

/** A 32-byte big-endian target: the vector's hash plus `delta`. */
function targetNear(hash: string, delta: bigint): Uint8Array {
  return fromHex((BigInt(`0x${hash}`) + delta).toString(16).padStart(64, "0"));
}

/** Every vector at hash+1 (passes), its hash and hash−1 (both fail): a check and the answer the reference gives. */
const cases = hashVectors.flatMap((v) => {
  const input = hashInput(jobOf(v, UNREACHABLE), BigInt(v.nonce));
  return [
    { input, target: targetNear(v.hash, 1n), expected: true },
    { input, target: targetNear(v.hash, 0n), expected: false },
    { input, target: targetNear(v.hash, -1n), expected: false },
  ];
});

/** An input of nonce group `group`; whatever its hash, it is below all-ones and not below zero. */
function groupInput(group: number, nonce: number): Uint8Array {
  return hashInput({ miner: new Uint8Array(32).fill(7), nonceGroup: group, challenge: new Uint8Array(8), difficulty: new Uint8Array(32) }, BigInt(nonce));
}
const ALL_ONES = new Uint8Array(32).fill(0xff);
const ZERO = new Uint8Array(32);

/** The Workers alive in this process (Bun names their threads "Worker"). */
function workerThreads(): number {
  return readdirSync("/proc/self/task").filter((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/comm`, "utf8").trim() === "Worker";
    } catch {
      return false; // the thread ended while being listed
    }
  }).length;
}

async function waitFor(what: string, condition: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`still waiting after ${ms} ms for ${what}`);
    await Bun.sleep(20);
  }
}

describe("a light-mode verifier on two threads", () => {
  let verifier: Verifier;

  beforeAll(async () => {
    verifier = new Verifier({ mode: "light", threads: 2 });
    await verifier.ready;
  });

  afterAll(() => verifier?.close());

  test("is in light mode and knows its capacity before the first check", () => {
    expect(verifier.mode).toBe("light");
    expect(verifier.capacity()).toBeGreaterThan(0);
    expect(verifier.pending).toBe(0);
  });

  test.each(hashVectors.map((v, i) => [v.nonce, i] as const))(
    "nonce %s: below its hash + 1, not below its hash nor its hash − 1",
    async (_nonce, i) => {
      const [above, equal, below] = cases.slice(i * 3, i * 3 + 3);
      expect(await verifier.check(above!.input, above!.target, "nonce")).toBe(true);
      expect(await verifier.check(equal!.input, equal!.target, "share")).toBe(false);
      expect(await verifier.check(below!.input, below!.target, "nonce")).toBe(false);
    },
  );

  test("120 checks submitted at once (several batches a thread) all answer rightly, and pending returns to 0", async () => {
    const all = Array.from({ length: 120 }, (_, i) => cases[i % cases.length]!);
    const answers = Promise.all(all.map((c, i) => verifier.check(c.input, c.target, i % 5 === 0 ? "nonce" : "share")));
    expect(verifier.pending).toBe(120);
    expect(await answers).toEqual(all.map((c) => c.expected));
    expect(verifier.pending).toBe(0);
    await verifier.idle();
  }, 30_000);

  test("copies the input at submission: a reused buffer does not change the check", async () => {
    const c = cases[0]!;
    const input = c.input.slice();
    const target = c.target.slice();
    const answers = [verifier.check(input, target, "share"), verifier.check(input, target, "share")];
    input.fill(0);
    target.fill(0);
    expect(await Promise.all(answers)).toEqual([true, true]);
  });

  /** Submits `count` checks of `kind` from the vectors, each answered rightly, into `order` as they are answered. */
  const submitter = (order: CheckKind[]) => (kind: CheckKind, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const c = cases[i % cases.length]!;
      return verifier.check(c.input, c.target, kind).then((passed) => {
        order.push(kind);
        expect(passed).toBe(c.expected);
      });
    });

  test("nonce checks submitted behind a long queue of share checks are answered first", async () => {
    const order: CheckKind[] = [];
    const submit = submitter(order);
    const shares = submit("share", 60);
    await shares[0]; // the queue is moving
    const nonces = submit("nonce", 3);
    await Promise.all([...shares, ...nonces]);
    const sharesBeforeLastNonce = order.lastIndexOf("nonce") - 2;
    // Only the few shares already on a thread (a batch is ~50 ms of hashing) may finish before the nonces.
    expect(sharesBeforeLastNonce).toBeLessThan(20);
  }, 30_000);

  test("share checks submitted behind a long queue of spare checks are answered first; spare ones are not pending", async () => {
    const order: CheckKind[] = [];
    const submit = submitter(order);
    const spare = submit("spare", 60);
    await spare[0]; // the queue is moving
    // What a new share check waits behind: those on a thread, not the spare checks queued.
    expect(verifier.pending).toBeLessThan(20);
    const shares = submit("share", 3);
    await Promise.all([...spare, ...shares]);
    expect(order.lastIndexOf("share") - 2).toBeLessThan(20);
  }, 30_000);

  test("the main thread stays responsive while 80 checks run", async () => {
    const c = cases[0]!;
    // About a second of both threads: dozens of 10 ms timers.
    const answers = Promise.all(Array.from({ length: 80 }, () => verifier.check(c.input, c.target, "share")));
    const lateness: number[] = [];
    while (verifier.pending > 20) {
      const due = performance.now() + 10;
      await new Promise((resolve) => setTimeout(resolve, 10));
      lateness.push(performance.now() - due);
    }
    await answers;
    // Hashing on this thread, even one check between timers, would hold nearly every timer back by 25 ms or more;
    // the median is what says so (how late the slowest is depends on the machine's load: figures belong in bench/).
    lateness.sort((a, b) => a - b);
    expect(lateness.length).toBeGreaterThan(10);
    expect(lateness[lateness.length >> 1]!).toBeLessThan(20);
  }, 30_000);

  test("refuses inputs and targets of the wrong length, saying which", async () => {
    expect((await failureOf(verifier.check(new Uint8Array(47), ZERO, "share"))).message).toBe("a k2pow input is 48 bytes, got 47");
    expect((await failureOf(verifier.check(new Uint8Array(48), new Uint8Array(33), "nonce"))).message).toBe("a target is 32 bytes, got 33");
  });
});

describe("closing", () => {
  test("queued checks reject with VerifierClosed, those on a thread answer, and no Worker is left", async () => {
    const before = workerThreads();
    const verifier = new Verifier({ mode: "light", threads: 1 });
    await verifier.ready;
    const c = cases[0]!;
    const checks = Array.from({ length: 20 }, () => verifier.check(c.input, c.target, "share"));
    const outcomes = Promise.allSettled(checks);
    await checks[0];
    await Bun.sleep(10); // the next batch has left for the thread: only timers wait behind that step
    await verifier.close();
    const settled = await outcomes;
    const answered = settled.filter((o) => o.status === "fulfilled");
    const refused = settled.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(answered.length).toBeGreaterThan(1); // the first, and the batch on the thread when close() came
    for (const o of answered) expect(o.value).toBe(true);
    expect(refused.length).toBeGreaterThan(0);
    for (const o of refused) expect(o.reason).toBeInstanceOf(VerifierClosed);
    expect(verifier.pending).toBe(0);
    await verifier.idle();
    expect(await failureOf(verifier.check(c.input, c.target, "nonce"))).toBeInstanceOf(VerifierClosed);
    await verifier.close(); // a second close is harmless
    await waitFor("the verifier's Worker to end", () => workerThreads() <= before, 5_000);
  });

  test("closing before ready rejects ready and the waiting checks with VerifierClosed", async () => {
    const verifier = new Verifier({ mode: "light", threads: 1 });
    const waiting = failureOf(verifier.check(cases[0]!.input, cases[0]!.target, "nonce"));
    expect(verifier.capacity()).toBeNull();
    await verifier.close();
    expect(await waiting).toBeInstanceOf(VerifierClosed);
    expect(await failureOf(verifier.ready)).toBeInstanceOf(VerifierClosed);
  });
});

describe("a thread that dies while checking", () => {
  let verifier: Verifier;
  const notes: string[] = [];

  beforeAll(async () => {
    rmSync(checkCrashMarker, { force: true });
    verifier = new Verifier({
      mode: "light",
      threads: 2,
      workerUrl: new URL("./fixtures/crashing-check-worker.ts", import.meta.url),
      onNote: (m) => notes.push(m),
    });
    await verifier.ready;
  });

  afterAll(async () => {
    await verifier?.close();
    rmSync(checkCrashMarker, { force: true });
  });

  test("is replaced, and its batch is checked again on a live thread", async () => {
    const answers = await Promise.all([
      verifier.check(groupInput(201, 1), ALL_ONES, "nonce"),
      verifier.check(groupInput(201, 2), ZERO, "share"),
      ...cases.map((c) => verifier.check(c.input, c.target, "share")),
    ]);
    expect(answers).toEqual([true, false, ...cases.map((c) => c.expected)]);
    expect(notes.some((n) => /^search thread \d stopped \(the thread exited\); starting a new one$/.test(n))).toBe(true);
    expect(verifier.pending).toBe(0);
  });

  test("a check whose thread dies twice fails with the reason, and later checks still run", async () => {
    const failure = await failureOf(verifier.check(groupInput(202, 1), ALL_ONES, "nonce"));
    expect(failure).toBeInstanceOf(EngineError);
    expect(failure.message).toMatch(/^search thread \d stopped unexpectedly: the thread exited$/);
    const c = cases[0]!;
    expect(await verifier.check(c.input, c.target, "nonce")).toBe(true);
    expect(verifier.pending).toBe(0);
  });
});

describe("a fast-mode verifier", () => {
  /** Every case as a check of each kind in turn (nonce checks are the answers a loaded dataset must confirm). */
  const checkAll = (verifier: Verifier) => Promise.all(cases.map((c, i) => verifier.check(c.input, c.target, i % 2 ? "nonce" : "share")));

  test(
    "checks in light mode from the start, moves to fast mode once its dataset is loaded, and its nonce checks are confirmed by the light hasher",
    async () => {
      const datasetFile = await sharedDatasetFile();
      const notes: string[] = [];
      const verifier = new Verifier({ mode: "fast", threads: 2, datasetFile, onNote: (m) => notes.push(m) });
      try {
        await verifier.ready;
        expect(verifier.mode).toBe("light");
        expect(await checkAll(verifier)).toEqual(cases.map((c) => c.expected));
        await verifier.settled;
        expect(verifier.mode).toBe("fast");
        expect(notes).toContainEqual(expect.stringMatching(/^dataset loaded from .* every piece checked/));
        expect(notes).toContainEqual(expect.stringMatching(/^now in fast mode \(dataset loaded from its file\), about \d+ checks a second$/));
        expect(verifier.capacity()).toBeGreaterThan(0);
        expect(await checkAll(verifier)).toEqual(cases.map((c) => c.expected));
      } finally {
        await verifier.close();
      }
    },
    240_000,
  );
});
