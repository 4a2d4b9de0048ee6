// A pool past its verifier's budget (a large fleet's ranges at their longest): ranges are credited on 3 checked
// shares, and the rest of their shares are checked in the verifier's spare time. The checker here is a stand-in at
// its seam that answers each check when the test says (what RandomX says of a share is shown in pool-coordinator
// and pool-trust): a range is proven once its spare checks pass, a failed one catches its worker, a worker that
// searches only the start of each range is caught by its fifth, and ranges wait for spare time only up to a bound.
import { expect, test } from "bun:test";
import type { K2powJob } from "../src/engine/k2pow-rule";
import { Coordinator } from "../src/pool/coordinator";
import { JobStore } from "../src/pool/job-store";
import { LaterChecks } from "../src/pool/later-checks";
import { COVERAGE_FAILURES, COVERAGE_WINDOW, EXPECTED_SHARES, MIN_CHECKED, MIN_SHARES, ProofAudit, type Checker } from "../src/pool/proof-audit";
import { CLOSE, PROTOCOL_VERSION, type PoolMessage, type Work } from "../src/pool/protocol";
import { ManualClock } from "./support/manual-clock";
import { fromHex, UNREACHABLE } from "./support/vectors";

const job: K2powJob = { miner: fromHex("3c".repeat(32)), nonceGroup: 7, challenge: fromHex("a1b2c3d4e5f60718"), difficulty: fromHex(UNREACHABLE) };
const key = `${"3c".repeat(32)}/7/a1b2c3d4e5f60718/${UNREACHABLE}`;

/** Lets what the checks' answers set off in the pool (promise follow-ups) run. */
async function followUps(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/**
 * Checks answered by the test: nonce checks pass at once, spare ones wait for `answerSpare`, share checks pass at once
 * or (`holdShares`) wait for `answerShares`, queued on the verifier meanwhile (`pending`). Its capacity is too small
 * for any range to be audited, or unmeasured (null), which audits every one.
 */
class HeldChecker implements Checker {
  held: ((ok: boolean) => void)[] = [];
  private shares: ((ok: boolean) => void)[] = [];
  constructor(
    private readonly checksPerSecond: number | null = 1e-9,
    private readonly holdShares = false,
  ) {}
  get pending(): number {
    return this.shares.length;
  }
  check(_input: Uint8Array, _target: Uint8Array, kind: "nonce" | "share" | "spare"): Promise<boolean> {
    if (kind === "spare") return new Promise((resolve) => this.held.push(resolve));
    if (kind === "share" && this.holdShares) return new Promise((resolve) => this.shares.push(resolve));
    return Promise.resolve(true);
  }
  capacity(): number | null {
    return this.checksPerSecond;
  }
  /** Passes every share check held. */
  async answerShares(): Promise<void> {
    for (const resolve of this.shares.splice(0)) resolve(true);
    await followUps();
  }
  /** Answers every held spare check: true, but false for the `failing`-th (from 0). */
  async answerSpare(failing = -1): Promise<void> {
    this.held.splice(0).forEach((resolve, i) => resolve(i !== failing));
    await followUps();
  }
}

function pool(checker = new HeldChecker()) {
  const clock = new ManualClock();
  const c = new Coordinator({ store: new JobStore(":memory:"), checker, queueSize: 4, jobTimeoutSeconds: 0, clock });
  c.start();
  return { c, clock, checker };
}

/** A pool with the job queued, before any worker joins. */
function poolOnJob() {
  const p = pool();
  p.c.request(key, job);
  return p;
}

function worker(c: Coordinator, name: string, address: string) {
  const sent: PoolMessage[] = [];
  const w = { id: 0, closed: null as { code: number; reason: string } | null, work: () => sent.filter((m): m is Work => m.type === "work").at(-1)! };
  const link = { remote: `${address}:4000`, address, send: (m: PoolMessage) => sent.push(m), close: (code: number, reason: string) => (w.closed = { code, reason }), holdOff: () => {} };
  w.id = c.join(link, { type: "hello", protocol: PROTOCOL_VERSION, token: "", name, version: "test", threads: 1, mode: "light" });
  return w;
}

/** `n` nonces spread evenly over the first `part` of the range: shares as far as the checker here cares. */
function spread(work: Work, n: number, part = 1): bigint[] {
  const [start, count] = [BigInt(work.start), BigInt(work.count)];
  const span = (count * BigInt(Math.round(part * 1000))) / 1000n;
  return Array.from({ length: n }, (_, k) => start + (span * BigInt(2 * k + 1)) / BigInt(2 * n));
}

const coverageReason = `${COVERAGE_FAILURES} of its last ${COVERAGE_WINDOW} ranges came with shares too few or too uneven for a whole search`;

async function report(c: Coordinator, clock: ManualClock, w: ReturnType<typeof worker>, shares: bigint[]) {
  const work = w.work();
  for (const nonce of shares) c.receive(w.id, { type: "share", range: work.range, nonce: nonce.toString() });
  clock.advance(2000);
  c.receive(w.id, { type: "done", range: work.range });
  await followUps();
  return work;
}

test("a range not audited is credited on 3 checked shares, and proven once the rest pass in the verifier's spare time", async () => {
  const { c, clock, checker } = pool();
  const honest = worker(c, "honest", "10.0.0.1");
  c.request(key, job);
  const work = await report(c, clock, honest, spread(honest.work(), EXPECTED_SHARES));
  expect(c.status().totals).toMatchObject({ claims: 1, claimsProven: 0 });
  expect(checker.held).toHaveLength(EXPECTED_SHARES - MIN_CHECKED);
  expect(c.status().checks).toMatchObject({ sharesUnchecked: EXPECTED_SHARES - MIN_CHECKED, spare: EXPECTED_SHARES - MIN_CHECKED });
  // Its next range is not held up by them.
  expect(honest.work().range).not.toBe(work.range);
  await checker.answerSpare();
  expect(c.status().checks).toMatchObject({ sharesUnchecked: 0, spare: 0, sharesChecked: EXPECTED_SHARES });
  expect(c.status().totals).toMatchObject({ claims: 1, claimsProven: 1 });
  expect(c.status().job?.proven).toBe(BigInt(work.count));
  expect(c.status().workers[0]!.claims).toEqual({ ranges: 1, proven: 1 });
  c.close();
});

test("while a worker searches a range, nothing /status counts of checks moves with its shares, audited or not: they count once it leaves the range", async () => {
  for (const audited of [true, false]) {
    const checker = new HeldChecker(audited ? null : 1e-9, true);
    const { c, clock } = pool(checker);
    try {
      const w = worker(c, "searcher", "10.0.0.9");
      c.request(key, job);
      await report(c, clock, w, spread(w.work(), EXPECTED_SHARES));
      await checker.answerShares();
      // What /status (and /metrics, read from it) counts of checks: the worker's, the totals and the verifier's. The
      // part of ranges audited is the same whichever way a range is drawn (test/pool-rules.test.ts).
      const shown = () => {
        const { workers, totals, checks, job } = c.status();
        const { shares, hashRate, claims } = workers[0]!;
        const { pending, spare, sharesChecked, sharesUnchecked, nonceChecks } = checks;
        return { checked: shares.checked, hashRate, claims, total: totals.sharesChecked, pending, spare, sharesChecked, sharesUnchecked, nonceChecks, proven: job?.proven };
      };
      const before = shown();
      const work = w.work();
      for (const nonce of spread(work, EXPECTED_SHARES)) c.receive(w.id, { type: "share", range: work.range, nonce: nonce.toString() });
      await followUps();
      clock.advance(4000);
      const what = audited ? "audited" : "not audited";
      expect(checker.pending, what).toBe(audited ? EXPECTED_SHARES : 0);
      expect(shown(), `${what}, its shares' checks queued`).toEqual(before);
      await checker.answerShares();
      expect(shown(), `${what}, its shares' checks passed`).toEqual(before);
      c.receive(w.id, { type: "done", range: work.range });
      await checker.answerShares();
      // Left: every share of the audited range was checked as it came; of the other, the few checked before its credit.
      const after = shown();
      const checked = audited ? EXPECTED_SHARES : MIN_CHECKED;
      expect({ checked: after.checked - before.checked, total: after.total - before.total }).toEqual({ checked, total: checked });
      expect(after.sharesChecked - before.sharesChecked).toBe(checked);
      expect(after.hashRate).not.toBe(before.hashRate);
    } finally {
      c.close();
    }
  }
});

test("a share that fails its spare check catches its worker, and what it was credited goes back", async () => {
  const { c, clock, checker } = pool();
  const liar = worker(c, "liar", "10.0.0.2");
  c.request(key, job);
  await report(c, clock, liar, spread(liar.work(), EXPECTED_SHARES));
  expect(c.status().job?.searched).toBeGreaterThan(0n);
  await checker.answerSpare(10);
  expect(liar.closed?.code).toBe(CLOSE.invalidWork);
  expect(liar.closed?.reason).toMatch(/^share \d+ does not meet its share target$/);
  expect(c.status().job?.searched).toBe(0n);
  c.close();
});

test("a worker that searches only the start of each range is caught by its fifth, every share of it checked in spare time", async () => {
  const { c, clock, checker } = pool();
  const liar = worker(c, "start-only", "10.0.0.3");
  c.request(key, job);
  let ranges = 0;
  while (liar.closed === null && ranges <= COVERAGE_FAILURES) {
    ranges++;
    // Enough not to be caught for too few, all in the first 44% of the range: no share in its last two quarters.
    await report(c, clock, liar, spread(liar.work(), MIN_SHARES, 0.44));
    await checker.answerSpare();
  }
  expect(ranges).toBe(COVERAGE_FAILURES);
  expect(liar.closed).toEqual({
    code: CLOSE.invalidWork,
    reason: coverageReason,
  });
  c.close();
});

/** A range of `w`'s searched only in its first 44%: a thin claim once its spare checks are answered (`answer`). */
async function thinRange(p: ReturnType<typeof pool>, w: ReturnType<typeof worker>, answer = true): Promise<Work> {
  const work = await report(p.c, p.clock, w, spread(w.work(), MIN_SHARES, 0.44));
  if (answer) await p.checker.answerSpare();
  return work;
}

test("a worker that searches only the start of each range and reconnects before its fifth is caught by it all the same, whatever name it takes, and so is every earlier connection of it; one from elsewhere starts clean", async () => {
  const p = poolOnJob();
  const { c } = p;
  const first = worker(c, "start-only", "10.0.0.4");
  for (let i = 1; i < COVERAGE_FAILURES; i++) await thinRange(p, first);
  expect(first.closed).toBeNull();
  c.leave(first.id, "closed by the worker");
  // Another address's worker, thin once: its own record.
  const elsewhere = worker(c, "start-only", "10.0.0.5");
  const elsewhereClaim = await thinRange(p, elsewhere);
  expect(elsewhere.closed).toBeNull();
  // Back from its address under another name: its fifth thin claim catches it, and the connection it left.
  const again = worker(c, "renamed", "10.0.0.4");
  expect(c.status().workers.find((w) => w.id === again.id)?.thinClaims).toBe(COVERAGE_FAILURES - 1);
  await thinRange(p, again);
  expect(again.closed).toEqual({ code: CLOSE.invalidWork, reason: `${COVERAGE_FAILURES} of the last ${COVERAGE_WINDOW} ranges from its address came with shares too few or too uneven for a whole search, 1 of them its own` });
  expect(c.status().recent.dropped.map((d) => [d.worker, d.reason])).toContainEqual([`start-only#${first.id}`, expect.stringMatching(/, 4 of them its own$/)]);
  // What either connection claimed went back to be searched again; the other address's claim stands.
  expect(c.status().job?.searched).toBe(BigInt(elsewhereClaim.count));
  // Caught, the record starts clean, as after any catch.
  worker(c, "start-only", "10.0.0.4");
  expect(c.status().workers.filter((w) => w.thinClaims > 0).map((w) => w.id)).toEqual([elsewhere.id]);
  c.close();
});

test("a worker that leaves after every range, before its claim is weighed, leaves its record to its next connection: its fifth thin claim catches every connection that made one", async () => {
  const p = poolOnJob();
  const { c } = p;
  const connections: ReturnType<typeof worker>[] = [];
  for (let i = 0; i < COVERAGE_FAILURES; i++) {
    const w = worker(c, "hit-and-run", "10.0.0.6");
    connections.push(w);
    await thinRange(p, w, false);
    c.leave(w.id, "closed by the worker");
    // Its spare checks come back after it left: the claim lands in the record its next connection takes up.
    await p.checker.answerSpare();
  }
  const dropped = c.status().recent.dropped.filter((d) => d.reason.endsWith("for a whole search") || d.reason.includes("from its address"));
  expect(dropped.map((d) => d.worker).sort()).toEqual(connections.map((w) => `hit-and-run#${w.id}`).sort());
  expect(c.status().job?.searched).toBe(0n);
  c.close();
});

test("a worker that takes up a record left at its address is caught only for a thin claim of its own: a neighbour behind one NAT keeps its place", async () => {
  const p = poolOnJob();
  const { c } = p;
  const liar = worker(c, "start-only", "10.0.0.8");
  for (let i = 0; i < COVERAGE_FAILURES; i++) await thinRange(p, liar, i < COVERAGE_FAILURES - 1);
  // It leaves with its fifth thin claim's checks still waiting; a neighbour joins and takes up its record.
  c.leave(liar.id, "closed by the worker");
  const neighbour = worker(c, "honest", "10.0.0.8");
  await p.checker.answerSpare();
  expect(neighbour.closed).toBeNull();
  expect(c.status().recent.dropped.map((d) => [d.worker, d.reason])).toEqual([[`start-only#${liar.id}`, coverageReason]]);
  // The record was cleared with the catch: the neighbour's claims weigh from nothing.
  await report(c, p.clock, neighbour, spread(neighbour.work(), EXPECTED_SHARES));
  await p.checker.answerSpare();
  expect(c.status().workers.find((w) => w.id === neighbour.id)).toMatchObject({ thinClaims: 0, claims: { ranges: 1, proven: 1 } });
  c.close();
});

test("a record left at an address is forgotten after 15 minutes: the next worker from there starts clean", async () => {
  const p = poolOnJob();
  const { c } = p;
  const first = worker(c, "start-only", "10.0.0.7");
  for (let i = 1; i < COVERAGE_FAILURES; i++) await thinRange(p, first);
  c.leave(first.id, "closed by the worker");
  p.clock.advance(15 * 60_000 + 1);
  const later = worker(c, "start-only", "10.0.0.7");
  expect(c.status().workers.find((w) => w.id === later.id)?.thinClaims).toBe(0);
  c.close();
});

test("ranges wait their turn for spare time, a thousand shares on the verifier at once, and up to a bound: past it, one stays a claim", async () => {
  const checker = new HeldChecker();
  const audit = new ProofAudit(checker, new ManualClock());
  const done: string[] = [];
  const fail = (err: unknown) => {
    throw err;
  };
  const parts = { audit, done: (check: { owner: string }, failed: bigint | null) => done.push(`${check.owner} ${failed ?? "passed"}`), failed: fail, moot: () => false, broke: fail };
  const later = new LaterChecks<string>(parts, 30);
  const range = (i: number) => ({
    owner: `range ${i}`,
    job,
    range: { start: BigInt(i) * 1000n, count: 1000n },
    target: 1n,
    nonces: BigUint64Array.from({ length: 69 }, (_, k) => BigInt(i) * 1000n + BigInt(k)),
    proof: { proven: true, strength: 1 },
  });
  // 15 ranges' 1,035 checks go to the verifier (whole ranges, up to a thousand and the one that passes it); 30 more
  // may wait, packed, and the next is refused.
  for (let i = 0; i < 45; i++) expect(later.add(range(i))).toBe(true);
  expect(later.add(range(45))).toBe(false);
  expect(checker.held).toHaveLength(15 * 69);
  expect(later.refused).toBe(1);
  expect(later.shares).toBe(45 * 69);
  // The verifier answers them: range 2's sixth share fails; the next 15 ranges go to it, and there is room again.
  await checker.answerSpare(69 * 2 + 5);
  expect(done.slice(0, 4)).toEqual(["range 0 passed", "range 1 passed", "range 2 2005", "range 3 passed"]);
  expect(done).toHaveLength(15);
  expect(checker.held).toHaveLength(15 * 69);
  expect(later.shares).toBe(30 * 69);
  expect(later.add(range(45))).toBe(true);
});

test("a range whose worker was caught since it was queued is not checked when its turn comes, and the pool's close lets every waiting one go", async () => {
  const checker = new HeldChecker();
  const audit = new ProofAudit(checker, new ManualClock());
  const caught = new Set<string>();
  const fail = (err: unknown) => {
    throw err;
  };
  const later = new LaterChecks<string>({ audit, done: () => {}, failed: fail, moot: (owner) => caught.has(owner), broke: fail });
  const range = (owner: string, i: number) => ({
    owner,
    job,
    range: { start: BigInt(i) * 1000n, count: 1000n },
    target: 1n,
    nonces: BigUint64Array.from({ length: 500 }, (_, k) => BigInt(i) * 1000n + BigInt(k)),
    proof: { proven: true, strength: 1 },
  });
  for (let i = 0; i < 4; i++) later.add(range(i === 2 ? "liar" : "honest", i));
  expect(checker.held).toHaveLength(1_000);
  caught.add("liar");
  await checker.answerSpare();
  // The liar's range was let go unchecked; the honest one after it went to the verifier.
  expect(checker.held).toHaveLength(500);
  expect(later.shares).toBe(500);
  later.close();
  expect(later.add(range("honest", 5))).toBe(false);
});
