// The pool's scheduling and trust rules in-process, at the default tuning, with time driven by a manual clock: a
// real SQLite store, a real fast-mode verifier thread checking what workers send, and workers played by the test
// through the coordinator's link interface. An honest worker's shares come from the real engine's search (fast mode).
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../src/engine/engine";
import { NoValidNonce } from "../src/engine/engine-error";
import { hashInput, meetsDifficulty, type K2powJob } from "../src/engine/k2pow-rule";
import { Coordinator, type CoordinatorOptions, type PoolEvent } from "../src/pool/coordinator";
import { JobStore } from "../src/pool/job-store";
import { COVERAGE_FAILURES, COVERAGE_WINDOW, EXPECTED_SHARES, MAX_SHARES, MIN_CHECKED, MIN_RANGE, MIN_SHARES, type Checker } from "../src/pool/proof-audit";
import { CLOSE, PROTOCOL_VERSION, type PoolMessage, type Work } from "../src/pool/protocol";
import { Verifier } from "../src/pool/verifier";
import { halfSearch, jobOfWork } from "./support/half-search";
import { ManualClock } from "./support/manual-clock";
import { sharedDatasetFile } from "./support/shared-dataset";
import { fromHex } from "./support/vectors";

const UNREACHABLE = "00".repeat(31) + "01";
const EASY = "0f" + "ff".repeat(31);
const miner = "3c".repeat(32);
const challenge = "a1a2a3a4a5a6a7a8";
const keyOf = (group: number, difficulty: string) => `${miner}/${group}/${challenge}/${difficulty}`;
const jobOf = (group: number, difficulty: string): K2powJob => ({
  miner: fromHex(miner),
  nonceGroup: group,
  challenge: fromHex(challenge),
  difficulty: fromHex(difficulty),
});
const TWO_256 = 1n << 256n;

let engine: Engine;
let verifier: Verifier;
let dir: string;
const open: Coordinator[] = [];
beforeAll(async () => {
  // Fast mode, from the run's shared dataset file: the honest and half searches hash 5-10 times faster than light.
  const datasetFile = await sharedDatasetFile();
  engine = new Engine({ mode: "fast", threads: 2, datasetFile });
  // The pool's default check mode, from the same file: its checks cost a tenth of light mode's.
  verifier = new Verifier({ mode: "fast", threads: 1, datasetFile });
  await Promise.all([engine.ready, verifier.settled]);
  if (verifier.mode !== "fast") throw new Error("the test's verifier could not start in fast mode");
  dir = mkdtempSync(join(tmpdir(), "k2pow-coordinator-"));
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});
afterAll(async () => {
  await Promise.all([engine?.close(), verifier?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function coordinator(options: Partial<CoordinatorOptions> = {}) {
  const events: PoolEvent[] = [];
  const clock = new ManualClock();
  const c = new Coordinator({
    store: new JobStore(":memory:"),
    checker: steadyChecker(),
    queueSize: 10,
    jobTimeoutSeconds: 0,
    clock,
    ...options,
  });
  c.subscribe((e) => events.push(e));
  c.start();
  open.push(c);
  return { c, events, clock };
}

/** Every check queued is answered, and what the coordinator does on each answer (promise callbacks) has run. */
async function checksDone(): Promise<void> {
  await verifier.idle();
  await Bun.sleep(1);
}

let nextHost = 1;

/** A worker played by the test: what the pool sent it, and how it was closed. Each from its own address unless told. */
function fakeWorker(c: Coordinator, name: string, mode: "light" | "fast" = "light", address = `10.0.0.${nextHost++}`) {
  const sent: PoolMessage[] = [];
  const link = {
    remote: `${address}:4000`,
    address,
    send: (m: PoolMessage) => sent.push(m),
    close: (code: number, reason: string) => (worker.closed = { code, reason }),
    holdOff: () => worker.heldOff++,
  };
  const worker = {
    sent,
    remote: link.remote,
    closed: null as { code: number; reason: string } | null,
    heldOff: 0,
    id: 0,
    works: () => sent.filter((m): m is Work => m.type === "work"),
    lastWork: () => worker.works().at(-1)!,
  };
  worker.id = c.join(link, { type: "hello", protocol: PROTOCOL_VERSION, token: "", name, version: "test", threads: 1, mode });
  return worker;
}


/** The shares an honest search of the range finds: the real engine's search with the range's share target. */
async function honestShares(work: Work): Promise<bigint[]> {
  const shares: bigint[] = [];
  try {
    await engine.search(jobOfWork(work), {
      start: BigInt(work.start),
      count: BigInt(work.count),
      shareTarget: fromHex(work.shareTarget),
      onShare: (n) => shares.push(n),
    });
    throw new Error("the test's jobs have no valid nonce in the ranges it searches honestly");
  } catch (err) {
    if (!(err instanceof NoValidNonce)) throw err;
  }
  return shares.sort((a, b) => (a < b ? -1 : 1));
}

/** Shares sent at once by searchHonestly: as a real search finds them, a few at a time, never a backlog of checks. */
const SHARE_BURST = 12;

/**
 * Plays an honest worker for its current range: every share as it is found, then done, `seconds` of clock time later.
 * 15 s by default: its 72 shares then come at about 5 a second, well within the share budget of the test's checker,
 * so every one is checked (docs/pool-protocol.md says how many workers a verifier checks in full).
 */
async function searchHonestly(c: Coordinator, clock: ManualClock, worker: ReturnType<typeof fakeWorker>, seconds = 15) {
  const work = worker.lastWork();
  const shares = await honestShares(work);
  const bursts = Math.ceil(shares.length / SHARE_BURST);
  const step = Math.floor((seconds * 1000) / bursts);
  for (let i = 0; i < shares.length; i += SHARE_BURST) {
    for (const nonce of shares.slice(i, i + SHARE_BURST)) c.receive(worker.id, { type: "share", range: work.range, nonce: nonce.toString() });
    clock.advance(step);
    await checksDone();
  }
  clock.advance(seconds * 1000 - step * bursts);
  c.receive(worker.id, { type: "done", range: work.range });
  await checksDone();
  return { work, shares };
}

/** The first `n` shares of the range, searching it from its start in short steps, as a worker that stops early. */
async function firstShares(work: Work, n: number): Promise<bigint[]> {
  const shares: bigint[] = [];
  const end = BigInt(work.start) + BigInt(work.count);
  for (let from = BigInt(work.start); shares.length < n && from < end; from += 64n) {
    const count = end - from < 64n ? end - from : 64n;
    try {
      await engine.search(jobOfWork(work), { start: from, count, shareTarget: fromHex(work.shareTarget), onShare: (s) => shares.push(s) });
    } catch (err) {
      if (!(err instanceof NoValidNonce)) throw err;
    }
  }
  return shares.sort((a, b) => (a < b ? -1 : 1)).slice(0, n);
}

/** Nonces of the range whose hash is NOT below the share target: what a worker that never hashed would send. */
function nonShares(work: Work, n: number): bigint[] {
  const target = fromHex(work.shareTarget);
  const found: bigint[] = [];
  for (let nonce = BigInt(work.start); found.length < n; nonce++) {
    if (!meetsDifficulty(verifierFreeHash(work, nonce), target)) found.push(nonce);
  }
  return found;
}
const verifierFreeHash = (work: Work, nonce: bigint) => engine.hash(hashInput(jobOfWork(work), nonce));

const expectedShares = (work: Work) =>
  (Number(BigInt(work.count) * (BigInt(`0x${work.shareTarget}`) - BigInt(`0x${work.job.difficulty}`))) / Number(TWO_256));

test("ranges are disjoint and contiguous, and each one's share target makes an honest search yield EXPECTED_SHARES (72) shares", () => {
  const { c } = coordinator();
  const a = fakeWorker(c, "a");
  const b = fakeWorker(c, "b", "fast");
  expect(c.request(keyOf(1, UNREACHABLE), jobOf(1, UNREACHABLE))).toEqual({ kind: "accepted" });
  const [wa, wb] = [a.lastWork(), b.lastWork()];
  expect(wa.job).toEqual({ miner, nonceGroup: 1, challenge, difficulty: UNREACHABLE });
  expect(BigInt(wa.start)).toBe(0n);
  expect(BigInt(wa.count)).toBe(MIN_RANGE); // a light thread's first guess (15 H/s for 1 s) is below the least range
  expect(BigInt(wb.start)).toBe(BigInt(wa.count));
  expect(BigInt(wb.count)).toBe(BigInt(MIN_RANGE)); // a fast thread's first guess: 150 nonces, also below it
  for (const w of [wa, wb]) {
    expect(expectedShares(w)).toBeGreaterThanOrEqual(EXPECTED_SHARES);
    expect(expectedShares(w)).toBeLessThan(EXPECTED_SHARES + 0.01);
  }
});

test("a worker that answers done at once is caught on its first range; the range goes to the next worker", () => {
  const { c, events } = coordinator();
  const liar = fakeWorker(c, "liar");
  const honest = fakeWorker(c, "honest");
  c.request(keyOf(2, UNREACHABLE), jobOf(2, UNREACHABLE));
  const lost = liar.lastWork();
  c.receive(liar.id, { type: "done", range: lost.range });
  expect(liar.closed).toEqual({
    code: CLOSE.invalidWork,
    reason: `range ${lost.range} reported searched with 0 share(s); an honest search yields about ${EXPECTED_SHARES}`,
  });
  expect(events).toContainEqual(expect.objectContaining({ type: "dropped", worker: `liar#${liar.id}` }));
  expect(c.status().job?.searched).toBe(0n);
  // The honest worker finishes its own range and is handed the liar's, lowest nonces first.
  c.receive(honest.id, { type: "done", range: honest.lastWork().range });
  expect(honest.closed?.code).toBe(CLOSE.invalidWork); // it sent no shares either: the rule is the same for all
});

test("an honest worker's ranges are credited as proven, and it is handed the range a liar dropped", async () => {
  const { c, clock } = coordinator();
  const liar = fakeWorker(c, "liar");
  const honest = fakeWorker(c, "honest");
  c.request(keyOf(3, UNREACHABLE), jobOf(3, UNREACHABLE));
  const lost = liar.lastWork();
  c.receive(liar.id, { type: "done", range: lost.range });
  const { shares } = await searchHonestly(c, clock, honest);
  expect(shares.length).toBeGreaterThanOrEqual(MIN_SHARES);
  expect(honest.closed).toBeNull();
  expect(honest.lastWork().start).toBe(lost.start);
  const job = c.status().job!;
  expect(job.searched).toBe(job.proven);
  expect(BigInt(job.proven)).toBe(MIN_RANGE);
  expect(c.status().workers[0]!.shares).toEqual({ received: shares.length, checked: shares.length, rejected: 0 });
});

test("the rate history samples the total and each worker's proven rate every 5 s of the pool's clock, and keeps an hour", async () => {
  const { c, clock } = coordinator();
  const honest = fakeWorker(c, "honest");
  c.request(keyOf(9, UNREACHABLE), jobOf(9, UNREACHABLE));
  const { work, shares } = await searchHonestly(c, clock, honest);
  clock.advance(5000);
  const rate = c.status().workers[0]!.hashRate!;
  // It hashed the range's nonces in the 15 s of the pool's clock it held it: the proven rate is that, within five
  // standard deviations of an estimate from this many shares.
  const hashed = Number(work.count) / 15;
  expect(Math.abs(rate - hashed)).toBeLessThan((5 * hashed) / Math.sqrt(shares.length));
  const last = c.rateHistory().points.at(-1)!;
  expect(last).toEqual({ at: clock.now(), total: rate, workers: { [`honest#${honest.id}`]: rate } });
  expect(c.rateHistory(last.at - 1).points).toEqual([last]);
  expect(c.rateHistory(last.at).points).toEqual([]);
  clock.advance(2 * 3600_000);
  const { points, intervalSeconds, windowSeconds } = c.rateHistory();
  expect({ intervalSeconds, windowSeconds }).toEqual({ intervalSeconds: 5, windowSeconds: 3600 });
  expect(points).toHaveLength(720);
  expect(points[0]!.at).toBe(clock.now() - 3600_000 + 5000);
  // Dropped as silent long ago: the worker is in none of the last hour's points.
  expect(points.every((p) => p.total === 0 && Object.keys(p.workers!).length === 0)).toBe(true);
});

test("shares that do not hash below the target get the worker caught, and every range it was credited goes back", async () => {
  const { c, events, clock } = coordinator();
  const liar = fakeWorker(c, "liar");
  c.request(keyOf(4, UNREACHABLE), jobOf(4, UNREACHABLE));
  // One range searched honestly and credited...
  const { work: first } = await searchHonestly(c, clock, liar);
  expect(c.status().job?.proven).toBe(BigInt(first.count));
  // ...then shares it never hashed for.
  const second = liar.lastWork();
  for (const nonce of nonShares(second, 8)) c.receive(liar.id, { type: "share", range: second.range, nonce: nonce.toString() });
  await checksDone();
  expect(liar.closed?.code).toBe(CLOSE.invalidWork);
  expect(liar.closed?.reason).toMatch(/^share \d+ does not meet its share target$/);
  expect(events).toContainEqual(expect.objectContaining({ type: "dropped", cause: "bad-work", undone: BigInt(first.count) }));
  expect(c.status().job?.searched).toBe(0n);
  // The dashboard and the metrics see the rejection and the drop, with its cause.
  const { totals, recent } = c.status();
  expect(totals.sharesRejected).toBeGreaterThanOrEqual(1);
  expect(totals.sharesChecked).toBeGreaterThanOrEqual(MIN_CHECKED);
  expect(totals.dropped).toBe(1);
  expect(recent.dropped).toEqual([
    { at: clock.now(), worker: `liar#${liar.id}`, remote: liar.remote, cause: "bad-work", reason: liar.closed!.reason },
  ]);
  // The first range is searched again, from its start.
  const next = fakeWorker(c, "next");
  expect(next.lastWork().start).toBe(first.start);
});

test("a claimed nonce is checked off the event loop; a wrong one gets its worker caught, a right one ends the job", async () => {
  const { c, events } = coordinator();
  const liar = fakeWorker(c, "liar");
  const finder = fakeWorker(c, "finder");
  c.request(keyOf(5, EASY), jobOf(5, EASY));
  c.request(keyOf(6, UNREACHABLE), jobOf(6, UNREACHABLE));
  const lied = liar.lastWork();
  let wrong = BigInt(lied.start);
  while (meetsDifficulty(verifierFreeHash(lied, wrong), fromHex(EASY))) wrong++;
  c.receive(liar.id, { type: "found", range: lied.range, nonce: wrong.toString() });
  expect(liar.closed).toBeNull(); // not yet: the check runs on the verifier's thread
  await checksDone();
  expect(liar.closed).toEqual({ code: CLOSE.invalidWork, reason: `nonce ${wrong} does not meet the job's difficulty` });
  expect(c.request(keyOf(5, EASY), jobOf(5, EASY))).toEqual({ kind: "accepted" });

  const work = finder.lastWork();
  let nonce = BigInt(work.start);
  while (!meetsDifficulty(verifierFreeHash(work, nonce), fromHex(EASY))) nonce++;
  c.receive(finder.id, { type: "found", range: work.range, nonce: nonce.toString() });
  await checksDone();
  expect(c.request(keyOf(5, EASY), jobOf(5, EASY))).toEqual({ kind: "done", nonce });
  expect(finder.lastWork().job.nonceGroup).toBe(6);
  expect(events).toContainEqual(expect.objectContaining({ type: "done", key: keyOf(5, EASY), nonce, worker: `finder#${finder.id}` }));
});

test("a share outside its range, a share sent twice, or a range never given closes the worker", async () => {
  const { c, clock } = coordinator();
  const a = fakeWorker(c, "a");
  const b = fakeWorker(c, "b");
  const d = fakeWorker(c, "d");
  c.request(keyOf(7, UNREACHABLE), jobOf(7, UNREACHABLE));
  const outside = BigInt(a.lastWork().start) + BigInt(a.lastWork().count);
  c.receive(a.id, { type: "share", range: a.lastWork().range, nonce: outside.toString() });
  expect(a.closed).toEqual({ code: CLOSE.invalidWork, reason: `share ${outside} is outside its range ${a.lastWork().range}` });
  const [share] = await firstShares(b.lastWork(), 1);
  c.receive(b.id, { type: "share", range: b.lastWork().range, nonce: share!.toString() });
  c.receive(b.id, { type: "share", range: b.lastWork().range, nonce: share!.toString() });
  expect(b.closed).toEqual({ code: CLOSE.invalidWork, reason: `share ${share} sent twice` });
  c.receive(d.id, { type: "done", range: 999_999 });
  expect(d.closed).toEqual({ code: CLOSE.malformed, reason: "range 999999 was never given to this worker" });
  // Shares by the hundred from one range are no search, whatever their checks will say.
  const e = fakeWorker(c, "e");
  const flood = e.lastWork();
  for (let i = 0; i <= MAX_SHARES && e.closed === null; i++) {
    clock.advance(10); // 100 a second: under the message rate limit, which is not what this is about
    c.receive(e.id, { type: "share", range: flood.range, nonce: (BigInt(flood.start) + BigInt(i)).toString() });
  }
  expect(e.closed).toEqual({
    code: CLOSE.invalidWork,
    reason: `range ${flood.range} got over ${MAX_SHARES} shares; an honest search yields about ${EXPECTED_SHARES}`,
  });
  clock.advance(1000);
  await checksDone();
});

test("a worker silent past its range's deadline (30 s at least) is dropped and its range handed on", () => {
  const { c, events, clock } = coordinator();
  const a = fakeWorker(c, "a", "fast"); // its first range is 384 nonces at a guessed 150 H/s: 6 × 2.6 s is under 30 s
  c.request(keyOf(8, UNREACHABLE), jobOf(8, UNREACHABLE));
  const lost = a.lastWork();
  clock.advance(29_000);
  expect(a.closed).toBeNull();
  clock.advance(2_000);
  expect(a.closed?.code).toBe(CLOSE.silent);
  expect(events).toContainEqual(
    expect.objectContaining({ type: "dropped", cause: "silent", reason: expect.stringMatching(/^range \d+ not finished in 3\d s$/) }),
  );
  const b = fakeWorker(c, "b");
  expect(b.lastWork().start).toBe(lost.start);
});

test("range growth is capped from the first range by the rate that checked shares prove", async () => {
  const { c, clock } = coordinator();
  const w = fakeWorker(c, "partial", "fast");
  c.request(keyOf(9, UNREACHABLE), jobOf(9, UNREACHABLE));
  // A worker that hashes 50 per second, stops at the fewest shares not caught (MIN_SHARES) and reports the range
  // searched: its reports say it does about 72/32 times what it does. Its ranges must follow what its shares prove.
  // (Its thin claims get it caught at its fifth range: four are watched here.)
  const TRUE_RATE = 50;
  const sizes: number[] = [];
  let nonces = 0;
  let seconds = 0;
  for (let round = 0; round < COVERAGE_FAILURES - 1; round++) {
    const work = w.lastWork();
    sizes.push(Number(work.count));
    const shares = await firstShares(work, MIN_SHARES);
    for (const nonce of shares) c.receive(w.id, { type: "share", range: work.range, nonce: nonce.toString() });
    const took = Number(shares.at(-1)! - BigInt(work.start) + 1n) / TRUE_RATE;
    clock.advance(Math.round(took * 1000));
    await checksDone();
    c.receive(w.id, { type: "done", range: work.range });
    await checksDone();
    expect(w.closed).toBeNull();
    nonces += Number(work.count);
    seconds += took;
  }
  // 5 s of its true rate is 250 nonces (the least range is 384); twice the proof, with the noise of its shares, stays
  // under 750, though its reports claim well over what it does.
  expect(nonces / seconds).toBeGreaterThan(1.5 * TRUE_RATE);
  for (const size of sizes.slice(1)) expect(size).toBeLessThanOrEqual(750);
}, 120_000);

test("liars that search half of each range (the first half; every other nonce) are never credited proof: their ranges are searched again before the space can end", async () => {
  const space = MIN_RANGE * 2n;
  const { c, clock } = coordinator({ nonceLimit: space });
  const liars = [fakeWorker(c, "first-half"), fakeWorker(c, "every-other")];
  c.request(keyOf(50, UNREACHABLE), jobOf(50, UNREACHABLE));
  const lied = liars.map((l) => l.lastWork());
  for (const [i, liar] of liars.entries()) {
    const work = lied[i]!;
    const { shares } = await halfSearch(engine, work, i === 0 ? "first-half" : "every-other");
    // Genuine shares, enough not to be caught, each checked and passing.
    for (let k = 0; k < shares.length; k += 12) {
      for (const nonce of shares.slice(k, k + 12)) c.receive(liar.id, { type: "share", range: work.range, nonce: nonce.toString() });
      clock.advance(500);
      await checksDone();
    }
    c.receive(liar.id, { type: "done", range: work.range });
    await checksDone();
  }
  for (const liar of liars) expect(liar.closed).toBeNull();
  // The whole space is claimed, every share checked and passing; none of it is proven, so each claim is handed to
  // the other worker to search again rather than the job ending.
  expect({ proven: c.status().job!.proven, rejected: c.status().totals.sharesRejected, unchecked: c.status().checks.sharesUnchecked }).toEqual({
    proven: 0n,
    rejected: 0,
    unchecked: 0,
  });
  expect(liars[0]!.lastWork().start).toBe(lied[1]!.start);
  expect(liars[1]!.lastWork().start).toBe(lied[0]!.start);
  expect(c.request(keyOf(50, UNREACHABLE), jobOf(50, UNREACHABLE))).toEqual({ kind: "accepted" });
  // The liars leave; an honest worker is handed both ranges in turn, and only its search proves them and ends the space.
  for (const liar of liars) c.leave(liar.id, "gone");
  const honest = fakeWorker(c, "honest");
  const reSearched = [];
  for (let i = 0; i < 2; i++) reSearched.push((await searchHonestly(c, clock, honest)).work.start);
  expect(reSearched.sort()).toEqual(lied.map((w) => w.start).sort());
  expect(c.request(keyOf(50, UNREACHABLE), jobOf(50, UNREACHABLE))).toEqual({
    kind: "failed",
    error: `no valid nonce in the whole nonce space (0..${space - 1n}): every range was searched and proven`,
  });
}, 120_000);

test("a worker that searches only the start of every range is caught by coverage by its fifth; its nonces never go back to its name or address, and go to a trusted worker first", async () => {
  const { c, clock, events } = coordinator();
  const liar = fakeWorker(c, "liar", "light", "10.9.9.9");
  c.request(keyOf(60, UNREACHABLE), jobOf(60, UNREACHABLE));
  // Real shares, just enough not to be caught for too few: the start of each range searched, the rest reported. Sent
  // at about 6 a second, so the test's one-thread verifier checks every one: only fully checked claims say how well
  // a range was covered.
  const lied: Work[] = [];
  while (liar.closed === null && lied.length < COVERAGE_FAILURES + 1) {
    const work = liar.lastWork();
    lied.push(work);
    const shares = await firstShares(work, MIN_SHARES);
    for (let k = 0; k < shares.length; k += 12) {
      for (const nonce of shares.slice(k, k + 12)) c.receive(liar.id, { type: "share", range: work.range, nonce: nonce.toString() });
      clock.advance(2000);
      await checksDone();
    }
    c.receive(liar.id, { type: "done", range: work.range });
    await checksDone();
  }
  expect(c.status().checks.sharesUnchecked).toBe(0);
  expect(lied.length).toBe(COVERAGE_FAILURES);
  expect(liar.closed).toEqual({
    code: CLOSE.invalidWork,
    reason: `${COVERAGE_FAILURES} of its last ${COVERAGE_WINDOW} ranges came with shares too few or too uneven for a whole search`,
  });
  expect(liar.heldOff).toBe(1);
  const dropped = events.find((e) => e.type === "dropped");
  expect(dropped).toMatchObject({ cause: "bad-work", undone: lied.reduce((sum, w) => sum + BigInt(w.count), 0n) });

  const overlapsLied = (w: Work) =>
    lied.some((l) => BigInt(w.start) < BigInt(l.start) + BigInt(l.count) && BigInt(l.start) < BigInt(w.start) + BigInt(w.count));
  // Back under its name from elsewhere, or under another name from its address: never its own nonces.
  const sameName = fakeWorker(c, "liar", "light", "10.9.9.10");
  const sameAddress = fakeWorker(c, "liar-2", "light", "10.9.9.9");
  for (const w of [sameName, sameAddress]) expect(overlapsLied(w.lastWork())).toBe(false);
  // An honest worker takes them, lowest first; once its search proves it, its record puts it before a newcomer.
  const honest = fakeWorker(c, "honest");
  expect(honest.lastWork().start).toBe(lied[0]!.start);
  await searchHonestly(c, clock, honest);
  expect(honest.lastWork().start).toBe(lied[1]!.start);
  const newcomer = fakeWorker(c, "newcomer");
  expect(overlapsLied(newcomer.lastWork())).toBe(false);
  // The honest worker leaves before searching its range: those nonces still are not the liar's, and with no trusted
  // worker left, anyone else may take them.
  c.leave(honest.id, "gone");
  const again = fakeWorker(c, "liar", "light", "10.9.9.11");
  expect(overlapsLied(again.lastWork())).toBe(false);
  const stranger = fakeWorker(c, "stranger");
  expect(stranger.lastWork().start).toBe(lied[1]!.start);
}, 120_000);

test("the queue is first in, first out", () => {
  const { c } = coordinator();
  for (const group of [10, 11, 12]) c.request(keyOf(group, UNREACHABLE), jobOf(group, UNREACHABLE));
  expect(c.status().queue.map((q) => [q.key.split("/")[1], q.state])).toEqual([
    ["10", "running"],
    ["11", "queued"],
    ["12", "queued"],
  ]);
});

/**
 * The real verifier's checks, at a capacity that does not depend on how busy the machine is (the measured one falls
 * when other work shares the cores): every share the rules would check on an idle box is checked.
 */
function steadyChecker(): Checker {
  return {
    check: (input, target, kind) => verifier.check(input, target, kind),
    capacity: () => 1000,
    get pending() {
      return verifier.pending;
    },
  };
}

/**
 * The steady checker, reporting a capacity too small for the shares while `starved`, and no spare time (its spare
 * checks wait until it is fed): the audit then leaves nearly all unchecked. Once fed, it is steady again, so what it
 * checks does not depend on how busy the machine is.
 */
function starvedChecker(): Checker & { starved: boolean } {
  const steady = steadyChecker();
  const held: (() => void)[] = [];
  let starved = true;
  return {
    get starved() {
      return starved;
    },
    set starved(value: boolean) {
      starved = value;
      if (!starved) for (const release of held.splice(0)) release();
    },
    check(input, target, kind) {
      if (kind !== "spare" || !starved) return steady.check(input, target, kind);
      return new Promise((resolve, reject) => held.push(() => steady.check(input, target, kind).then(resolve, reject)));
    },
    capacity() {
      return starved ? 1e-9 : steady.capacity();
    },
    get pending() {
      return steady.pending;
    },
  };
}

test("the space ends without a nonce only on proof: unchecked claims are searched again by another worker first", async () => {
  const checker = starvedChecker();
  const space = MIN_RANGE * 2n;
  const { c, clock } = coordinator({ checker, nonceLimit: space });
  const a = fakeWorker(c, "a");
  const b = fakeWorker(c, "b");
  // Fed while the ranges are handed out (a starved verifier makes them as long as ranges get), starved after.
  checker.starved = false;
  c.request(keyOf(30, UNREACHABLE), jobOf(30, UNREACHABLE));
  const [wa, wb] = [a.lastWork(), b.lastWork()];
  checker.starved = true;
  // Both ranges searched honestly, but hardly any share checked: claims, not proof.
  for (const [w, work] of [[a, wa], [b, wb]] as const) {
    for (const nonce of await honestShares(work)) c.receive(w.id, { type: "share", range: work.range, nonce: nonce.toString() });
  }
  clock.advance(20_000); // the share rate is measured over 15 s; after it the sampling is decided from arrivals alone
  c.receive(a.id, { type: "done", range: wa.range });
  c.receive(b.id, { type: "done", range: wb.range });
  await checksDone();
  expect(c.status().checks.sharesUnchecked).toBeGreaterThanOrEqual(10);
  // The whole space is claimed, none of it proven: no answer yet, and each worker is handed the other's range.
  expect(c.status().job?.proven).toBe(0n);
  expect(c.request(keyOf(30, UNREACHABLE), jobOf(30, UNREACHABLE))).toEqual({ kind: "accepted" });
  expect(a.lastWork().start).toBe(wb.start);
  expect(b.lastWork().start).toBe(wa.start);

  checker.starved = false;
  clock.advance(10_000);
  await searchHonestly(c, clock, a);
  await searchHonestly(c, clock, b);
  const answer = c.request(keyOf(30, UNREACHABLE), jobOf(30, UNREACHABLE));
  expect(answer).toEqual({ kind: "failed", error: `no valid nonce in the whole nonce space (0..${space - 1n}): every range was searched and proven` });
}, 90_000);

test("a restarted pool resumes the head job from the lowest nonce not proven searched", async () => {
  const path = join(dir, "resume.db");
  const checker = starvedChecker();
  checker.starved = false;
  const first = coordinator({ store: new JobStore(path), checker });
  const a = fakeWorker(first.c, "a");
  const b = fakeWorker(first.c, "b");
  first.c.request(keyOf(20, UNREACHABLE), jobOf(20, UNREACHABLE));
  // a's range is proven; b's is searched too, but its shares go unchecked: a claim, not proof.
  await searchHonestly(first.c, first.clock, a);
  checker.starved = true;
  const { work: claimed } = await searchHonestly(first.c, first.clock, b);
  first.clock.advance(5000);
  expect(first.c.status().job?.searched).toBe(MIN_RANGE * 2n);
  expect(first.c.status().job?.proven).toBe(MIN_RANGE);
  first.c.close();

  const second = coordinator({ store: new JobStore(path) });
  expect(second.events).toContainEqual(expect.objectContaining({ type: "started", key: keyOf(20, UNREACHABLE), resumeFrom: BigInt(claimed.start) }));
  const c = fakeWorker(second.c, "c");
  expect(c.lastWork().start).toBe(claimed.start);
}, 60_000);

test("however thin the sampling, a range is not credited before three of its shares check out", async () => {
  const checker = starvedChecker();
  const { c, clock } = coordinator({ checker });
  const liar = fakeWorker(c, "liar");
  c.request(keyOf(40, UNREACHABLE), jobOf(40, UNREACHABLE));
  clock.advance(1000);
  const work = liar.lastWork();
  for (const nonce of nonShares(work, MIN_SHARES)) c.receive(liar.id, { type: "share", range: work.range, nonce: nonce.toString() });
  expect(c.status().checks.sharesChecked).toBe(0); // the sampling left every one unchecked
  c.receive(liar.id, { type: "done", range: work.range });
  await checksDone();
  expect(liar.closed?.code).toBe(CLOSE.invalidWork);
  expect(liar.closed?.reason).toMatch(/^share \d+ does not meet its share target$/);
  expect(c.status().job?.searched).toBe(0n);
});

