// The pool's rules one module at a time, in milliseconds: a range's life (every move asserts where it starts), the
// nonce space (what is handed out, given back, claimed, undone, kept from whom, and when a job may end without a
// nonce), a worker's record (the coverage rule that catches partial searchers, and the record's wait at its address)
// and the running job (what ending it does, how often its resume point is written). No RandomX here: the end-to-end
// files (pool-coordinator, pool-trust, pool) show the same rules with real hashing.
import { expect, test } from "bun:test";
import { CoverageRecord, CoverageRecords, MAX_KEPT } from "../src/pool/coverage-records";
import { JobQueue } from "../src/pool/job-queue";
import { JobStore } from "../src/pool/job-store";
import { NonceSpace, sessionName } from "../src/pool/nonce-space";
import { COVERAGE_FAILURES, COVERAGE_WINDOW, EXPECTED_SHARES, MAX_SHARES, MIN_CHECKED, ProofAudit, SHARE_BUDGET } from "../src/pool/proof-audit";
import { Range } from "../src/pool/range";
import { RunningJob } from "../src/pool/running-job";
import { WorkerSession } from "../src/pool/worker-session";
import { ManualClock } from "./support/manual-clock";
import { seededRandom } from "./support/seeded-random";
import { EASY, fromHex } from "./support/vectors";

const link = { send: () => {}, close: () => {}, holdOff: () => {}, remote: "192.0.2.1:4000", address: "192.0.2.1" };
const session = new WorkerSession(1, "w", link, 1, "light", 0);
const rangeOf = (start = 1000n, count = 500n, id = 1) => new Range(id, "job", session, start, count, 0, 30_000, 1n, 1);

test("a range's shares: inside and new are kept; outside or twice are said so and not kept", () => {
  const range = rangeOf();
  expect(range.addShare(1000n)).toBe("new");
  expect(range.addShare(1499n)).toBe("new");
  expect(range.addShare(1000n)).toBe("twice");
  expect(range.addShare(999n)).toBe("outside");
  expect(range.addShare(1500n)).toBe("outside");
  expect([...range.shares]).toEqual([1000n, 1499n]);
});

test("a range moves only along its edges: searching → reported → settled, → answered, → taken back, → ended", () => {
  const credited = rangeOf();
  credited.reportDone();
  expect(credited.state).toBe("reported");
  expect(() => credited.reportDone()).toThrow("range 1: cannot report it searched when reported");
  expect(() => credited.addShare(1001n)).toThrow("range 1: cannot take a share when reported");
  credited.settle();
  expect(credited.state).toBe("settled");
  expect(credited.open).toBe(false);
  // Credited once: it cannot be given back, nor ended with its job, nor credited again.
  expect(() => credited.takeBack()).toThrow("range 1: cannot take it back when settled");
  expect(() => credited.end()).toThrow("range 1: cannot end it when settled");
  expect(() => credited.settle()).toThrow("range 1: cannot settle it when settled");

  const answered = rangeOf();
  answered.answer();
  expect(() => answered.reportDone()).toThrow("cannot report it searched when answered");
  expect(() => answered.settle()).toThrow("cannot settle it when answered");
  answered.takeBack();
  expect(answered.state).toBe("settled");

  const ended = rangeOf();
  ended.end();
  expect(ended.state).toBe("ended");
  expect(() => ended.takeBack()).toThrow("cannot take it back when ended");
  expect(() => ended.answer()).toThrow("cannot answer it when ended");
});

test("a range is ready to settle only once reported and every check is in; a passed check extends its deadline", () => {
  const range = rangeOf();
  range.checkStarted();
  range.checkStarted();
  range.reportDone();
  expect(range.readyToSettle).toBe(false);
  expect(() => range.settle()).toThrow("range 1: settled with 2 check(s) under way");
  range.checkEnded(true, 90_000);
  expect(range.deadline).toBe(90_000);
  range.checkEnded(false, 200_000);
  expect(range.deadline).toBe(90_000);
  expect(range.checked).toBe(1);
  expect(range.readyToSettle).toBe(true);
  expect(() => range.checkEnded(true, 0)).toThrow("range 1: a check ended that never started");
});

const proven = { proven: true, strength: 1 };
const unproven = { proven: false, strength: 0.5 };
/** Worker `id`, going by its session and `names`. */
const w = (id: number, ...names: string[]) => ({ id, names: [sessionName(id), ...names] });
const ask = { now: 0, alone: false, reopened: () => true };

test("the nonce space hands out contiguous spans, takes back unfinished ones first, lowest first", () => {
  const space = new NonceSpace(0n, 100n, 1000n);
  const a = space.take(w(1), 300n, ask)!;
  const b = space.take(w(2), 300n, ask)!;
  expect([a, b]).toEqual([
    { start: 0n, count: 300n },
    { start: 300n, count: 300n },
  ]);
  space.giveBack(a);
  // What came back goes out before fresh nonces, in pieces no smaller than the least.
  expect(space.take(w(3), 250n, ask)).toEqual({ start: 0n, count: 300n });
  // Fewer than the least would be left: the rest of the space goes in one span.
  expect(space.take(w(3), 350n, ask)).toEqual({ start: 600n, count: 400n });
  expect(space.take(w(3), 100n, ask)).toBeNull();
});

test("the nonce space refuses a span back that it did not hand out, or twice", () => {
  const space = new NonceSpace(0n, 100n, 1000n);
  const a = space.take(w(1), 200n, ask)!;
  space.claim(a, 1, proven);
  expect(() => space.claim(a, 1, proven)).toThrow("nonces 0 (+200) claimed but not handed out");
  expect(() => space.giveBack(a)).toThrow("nonces 0 (+200) given back but not handed out");
  expect(() => space.giveBack({ start: 500n, count: 100n })).toThrow("given back but not handed out");
});

const suspect = (names: string[], until = 60_000) => ({ names, until, kind: "suspect" as const });

test("the lowest nonce not proven searched is the resume point; undoing a worker reopens all it claimed", () => {
  const space = new NonceSpace(0n, 100n, 1000n);
  const spans = [space.take(w(1), 200n, ask)!, space.take(w(2), 200n, ask)!, space.take(w(1), 200n, ask)!];
  space.claim(spans[0]!, 1, proven);
  expect(space.provenBelow()).toBe(200n);
  space.claim(spans[1]!, 2, unproven);
  space.claim(spans[2]!, 1, proven);
  // The unproven claim at 200 holds the resume point there, whatever came after it.
  expect(space.provenBelow()).toBe(200n);
  expect(space.searched()).toEqual({ claimed: 600n, proven: 400n });
  expect(space.undo(1, suspect([sessionName(1)]))).toBe(400n);
  expect(space.provenBelow()).toBe(0n);
  expect(space.searched()).toEqual({ claimed: 200n, proven: 0n });
  // Reopened nonces go out first, lowest first.
  expect(space.take(w(3), 200n, ask)).toEqual({ start: 0n, count: 200n });
});

test("nonces taken back from a suspect are kept from every connection sharing its name or address until the bar ends", () => {
  const space = new NonceSpace(0n, 100n, 10_000n);
  const liar = w(1, "name liar", "address 192.0.2.1");
  const taken = space.take(liar, 200n, ask)!;
  space.giveBack(taken, suspect(liar.names, 60_000));
  // The same worker reconnected (a new session) under its name, or under another name from its address: fresh nonces.
  expect(space.take(w(2, "name liar", "address 198.51.100.7"), 200n, ask)).toEqual({ start: 200n, count: 200n });
  expect(space.take(w(3, "name other", "address 192.0.2.1"), 200n, ask)).toEqual({ start: 400n, count: 200n });
  // Someone else gets them; once the bar ends, anyone may.
  const honest = w(4, "name honest", "address 203.0.113.9");
  expect(space.take(honest, 200n, ask)).toEqual({ start: 0n, count: 200n });
  const again = space.take(liar, 200n, ask)!;
  space.giveBack(again, suspect(liar.names, 60_000));
  expect(space.take(liar, 200n, { ...ask, now: 60_000 })).toEqual(again);
});

test("a bar stays with the nonces: taken by another worker and given back, or claimed and undone, they are still kept from the suspect", () => {
  const space = new NonceSpace(0n, 100n, 10_000n);
  const liar = w(1, "name liar");
  const span = space.take(liar, 200n, ask)!;
  space.giveBack(span, suspect(liar.names));
  const other = w(2, "name other");
  expect(space.take(other, 200n, ask)).toEqual(span);
  space.giveBack(span);
  expect(space.take(w(3, "name liar"), 200n, ask)).toEqual({ start: 200n, count: 200n });
  expect(space.take(other, 200n, ask)).toEqual(span);
  space.claim(span, 2, proven);
  space.undo(2, suspect(other.names));
  expect(space.take(w(4, "name liar"), 200n, ask)).toEqual({ start: 400n, count: 200n });
  expect(space.take(w(5, "name third"), 200n, ask)).toEqual(span);
});

test("a worker caught after its unproven claim was put back to be searched: those nonces are kept from its name and address too", () => {
  const space = new NonceSpace(0n, 100n, 400n);
  const liar = w(1, "name liar", "address 192.0.2.1");
  const claimed = space.take(liar, 200n, ask)!;
  space.take(w(2, "name honest"), 200n, ask);
  space.claim(claimed, 1, unproven);
  // The space is all handed out: the unproven claim is put back, and another worker takes part of it.
  const part = space.take(w(3, "name third"), 100n, ask)!;
  expect(part).toEqual({ start: 0n, count: 100n });
  space.undo(1, suspect(liar.names));
  // Neither the rest of it, nor the part once given back, goes to a connection sharing the liar's name or address.
  space.giveBack(part);
  expect(space.take(w(4, "name liar"), 100n, { ...ask, alone: true })).toBeNull();
  expect(space.take(w(5, "name other", "address 192.0.2.1"), 100n, { ...ask, alone: true })).toBeNull();
  expect(space.take(w(6, "name fourth"), 100n, ask)).toEqual({ start: 0n, count: 100n });
});

test("a worker that may not take reopened nonces gets fresh ones while they last, and reopened ones after", () => {
  const space = new NonceSpace(0n, 100n, 600n);
  const a = space.take(w(1), 200n, ask)!;
  space.giveBack(a);
  const untrusted = { ...ask, reopened: () => false };
  expect(space.take(w(2), 200n, untrusted)).toEqual({ start: 200n, count: 200n });
  expect(space.take(w(2), 200n, untrusted)).toEqual({ start: 400n, count: 200n });
  // The fresh nonces are gone: what came back goes to whoever asks.
  expect(space.take(w(2), 200n, untrusted)).toEqual({ start: 0n, count: 200n });
});

test("a job may end without a nonce only when every nonce is claimed and every claim proven", () => {
  const space = new NonceSpace(0n, 100n, 400n);
  const a = space.take(w(1), 200n, ask)!;
  const b = space.take(w(2), 200n, ask)!;
  expect(space.exhausted()).toBe(false);
  space.claim(a, 1, proven);
  space.claim(b, 2, unproven);
  expect(space.exhausted()).toBe(false);
  // Worker 2's unproven claim goes to another worker, not back to worker 2 while another is there.
  expect(space.take(w(2), 200n, ask)).toBeNull();
  const again = space.take(w(1), 200n, ask)!;
  expect(again).toEqual({ start: 200n, count: 200n });
  space.claim(again, 1, proven);
  expect(space.exhausted()).toBe(true);
});

test("a worker alone on a job searches its own unproven claim again, but never nonces barred from it as a suspect", () => {
  const space = new NonceSpace(0n, 100n, 400n);
  const a = space.take(w(1), 200n, ask)!;
  const b = space.take(w(1), 200n, ask)!;
  space.claim(a, 1, unproven);
  expect(space.take(w(1), 200n, ask)).toBeNull();
  expect(space.take(w(1), 200n, { ...ask, alone: true })).toEqual({ start: 0n, count: 200n });
  space.giveBack(b, suspect([sessionName(1)]));
  expect(space.take(w(1), 200n, { ...ask, alone: true })).toBeNull();
});

test("a worker's record: five thin claims of its last ten fully checked ones; unchecked claims say nothing", () => {
  const worker = new WorkerSession(7, "w", link, 1, "light", 0);
  expect(worker.names).toEqual(["session 7", "name w", "address 192.0.2.1"]);
  expect(worker.trusted).toBe(false);
  worker.claimed(proven);
  expect(worker.trusted).toBe(true);
  const thin = { proven: false, strength: 1 };
  for (let i = 0; i < 4; i++) worker.claimed(thin);
  expect(worker.thinClaims).toBe(4);
  expect(worker.trusted).toBe(false);
  // Not every share checked: no word on coverage either way.
  worker.claimed(unproven);
  expect(worker.thinClaims).toBe(4);
  // Ten proven claims later the thin ones have left the window.
  for (let i = 0; i < COVERAGE_WINDOW; i++) worker.claimed(proven);
  expect(worker.thinClaims).toBe(0);
  expect(worker.trusted).toBe(true);
  expect({ claimed: worker.rangesClaimed, proven: worker.rangesProven }).toEqual({ claimed: 16, proven: 11 });
  expect(COVERAGE_FAILURES).toBe(5);
});

test("records left at addresses: kept whatever they hold, unless one kept there holds more thin claims; an IPv6 /64 as one address; the longest kept goes first past the bound, and one past its time is forgotten", () => {
  const clock = new ManualClock();
  const records = new CoverageRecords<string>(clock, 2);
  const record = (...outcomes: boolean[]) => {
    const r = new CoverageRecord<string>();
    for (const proven of outcomes) r.add(proven, "w#1");
    return r;
  };
  // Without a thin claim yet: claims still being checked land in it later.
  const clean = record(true, true);
  records.keep("192.0.2.1", clean);
  expect(records.take("192.0.2.1")).toBe(clean);
  expect(records.size).toBe(0);
  const twoThin = record(false, true, false);
  records.keep("2001:db8::1", twoThin);
  records.keep("2001:db8::2", record(false));
  expect(records.take("2001:db8::3")).toBe(twoThin);
  expect(records.take("2001:db8::3").thin).toBe(0);
  const [a, b, c] = [record(false), record(false), record(false)];
  records.keep("192.0.2.1", a);
  records.keep("192.0.2.2", b);
  records.keep("192.0.2.3", c);
  expect(records.size).toBe(2);
  expect(records.take("192.0.2.1")).not.toBe(a);
  expect(records.take("192.0.2.2")).toBe(b);
  clock.advance(15 * 60_000 + 1);
  expect(records.take("192.0.2.3")).not.toBe(c);
  // A kept record past its time is replaced by a newer, however thin.
  records.keep("192.0.2.9", record(false, false));
  clock.advance(15 * 60_000 + 1);
  const fresh = record(true, false);
  records.keep("192.0.2.9", fresh);
  expect(records.take("192.0.2.9")).toBe(fresh);
});

test("at the defaults, a flood of workers leaving from 5,000 addresses leaves at most MAX_KEPT records (the pool's default --max-workers), the newest; the first back still finds its own", () => {
  const records = new CoverageRecords<string>(new ManualClock());
  const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const left = Array.from({ length: 5_000 }, (_, i) => {
    const r = new CoverageRecord<string>();
    r.add(false, `w${i}`);
    records.keep(address(i), r);
    return r;
  });
  expect(MAX_KEPT).toBe(4_096);
  expect(records.size).toBe(MAX_KEPT);
  expect(records.take(address(0))).not.toBe(left[0]);
  expect(records.take(address(4_999))).toBe(left[4_999]!);
  expect(records.take(address(5_000 - MAX_KEPT))).toBe(left[5_000 - MAX_KEPT]!);
});

test("a record names the connection of each thin claim in its window", () => {
  const r = new CoverageRecord<string>();
  for (const [proven, by] of [[false, "a"], [true, "a"], [false, "b"], [false, "a"]] as const) r.add(proven, by);
  expect(r.thinBy()).toEqual(new Map([["a", 2], ["b", 1]]));
  for (let i = 0; i < COVERAGE_WINDOW - 1; i++) r.add(true, "c");
  expect(r.thinBy()).toEqual(new Map([["a", 1]]));
  r.clear();
  expect(r.thin).toBe(0);
});

function runningJob(clock: ManualClock) {
  const queue = new JobQueue(new JobStore(":memory:"), 10, clock, () => {});
  const job = { miner: fromHex("3c".repeat(32)), nonceGroup: 1, challenge: fromHex("a1a2a3a4a5a6a7a8"), difficulty: fromHex(EASY) };
  expect(queue.request("k", job).kind).toBe("accepted");
  const entry = queue.head()!;
  queue.started(entry);
  return { queue, entry, running: new RunningJob(entry, queue, 1n << 20n, clock) };
}

test("the running job writes its resume point at most every 5 s, at once when forced, and ends every open range", () => {
  const clock = new ManualClock();
  const { queue, entry, running } = runningJob(clock);
  const span = running.take(session, 1000n, { now: clock.now(), alone: true, reopened: () => true })!;
  const first = new Range(1, running.key, session, span.start, span.count, clock.now(), clock.now() + 30_000, 1n, 1);
  running.track(first);
  first.reportDone();
  first.settle();
  running.credit(first, proven);
  // Credited within 5 s of the start: not written yet.
  expect(entry.resumeFrom).toBe(0n);
  clock.advance(5000);
  running.save(false);
  expect(entry.resumeFrom).toBe(span.count);

  const next = running.take(session, 1000n, { now: clock.now(), alone: true, reopened: () => true })!;
  const open = new Range(2, running.key, session, next.start, next.count, clock.now(), clock.now() + 30_000, 1n, 1);
  running.track(open);
  expect(running.owns(open)).toBe(true);
  expect(running.status(0).ranges).toBe(1);
  expect(running.end()).toEqual([open]);
  expect(open.state).toBe("ended");
  expect(running.owns(open)).toBe(false);
  expect(running.status(0).ranges).toBe(0);
  queue.close();
});

test("a worker may send 200 messages a second, and besides, what each range it was handed in that second or the one before calls for", () => {
  const idle = new WorkerSession(8, "w", link, 64, "fast", 0);
  for (let i = 0; i < 200; i++) expect(idle.allowMessage(5_000 + i)).toBe(true);
  expect(idle.allowMessage(5_999)).toBe(false);
  expect(idle.messageLimit).toBe(200);
  // A fast worker handed three small ranges (nonces that came back) in one second: each may bring up to MAX_SHARES
  // shares and its done, in that second or the next.
  const busy = new WorkerSession(9, "w", link, 64, "fast", 0);
  for (let id = 1; id <= 3; id++) {
    const range = new Range(id, "job", busy, BigInt(id) * 1000n, 384n, 7_000 + id, 37_000, 1n, 1);
    busy.begin(range);
    busy.leaveRange(range, 7_000 + id, true);
  }
  const limit = 200 + 3 * (MAX_SHARES + 2);
  expect(busy.messageLimit).toBe(limit);
  for (let i = 0; i < limit; i++) expect(busy.allowMessage(7_100 + (i % 800))).toBe(true);
  expect(busy.allowMessage(7_999)).toBe(false);
  // The next second still counts them; the one after does not.
  expect(busy.allowMessage(8_000)).toBe(true);
  expect(busy.messageLimit).toBe(limit);
  expect(busy.allowMessage(9_000)).toBe(true);
  expect(busy.messageLimit).toBe(200);
  // A quiet second between: nothing carried over.
  busy.begin(new Range(4, "job", busy, 9_000n, 384n, 9_500, 39_500, 1n, 1));
  expect(busy.allowMessage(11_000)).toBe(true);
  expect(busy.messageLimit).toBe(200);
});

test("past the verifier's budget, whole ranges are audited, as many as the budget allows; a range's shares are all checked or none", () => {
  const clock = new ManualClock();
  const capacity = 144; // checks a second: shares may take SHARE_BUDGET of it, one range's 72
  const checker = { check: async () => true, capacity: () => capacity, pending: 0 };
  const audit = new ProofAudit(checker, clock, seededRandom(7));
  const job = { miner: new Uint8Array(32), nonceGroup: 0, challenge: new Uint8Array(8), difficulty: new Uint8Array(32).fill(255) };
  // Four times the budget: 288 shares a second, in ranges of 72 sent one after another, for 10 minutes.
  const ratio = 4;
  const perSecond = (SHARE_BUDGET * capacity * ratio) / EXPECTED_SHARES; // ranges a second
  let audited = 0;
  let ranges = 0;
  for (let second = 0; second < 600; second++) {
    for (let r = 0; r < perSecond; r++) {
      const claim: { audited?: boolean } = {};
      let checked = 0;
      for (let i = 0; i < EXPECTED_SHARES; i++) if (audit.share(job, BigInt(i), 1n, claim) !== null) checked++;
      expect(checked === 0 || checked === EXPECTED_SHARES).toBe(true);
      expect(checked === EXPECTED_SHARES).toBe(claim.audited!);
      if (second >= 15) {
        ranges++;
        if (claim.audited) audited++;
      }
    }
    clock.advance(1000);
  }
  // Past the first 15 s (the share rate's window), as many as fit in the budget once the 3 checks a range's credit
  // needs if it is not audited are reserved for each, whichever way it is drawn: q·288 + 3·4 = 72, q = 60/288, a
  // little under 1 in `ratio`.
  const expected = (SHARE_BUDGET * capacity - MIN_CHECKED * perSecond) / (EXPECTED_SHARES * perSecond);
  expect(expected).toBeCloseTo(0.208, 3);
  expect(audited / ranges).toBeGreaterThan(expected - 0.03);
  expect(audited / ranges).toBeLessThan(expected + 0.03);
  expect(audit.status({ shares: 0, refused: 0 }).checkedFraction).toBeCloseTo(expected, 2);
});

test("the part of ranges audited it shows is the same whichever way each range was drawn: a worker reading it learns nothing of its own", () => {
  const job = { miner: new Uint8Array(32), nonceGroup: 0, challenge: new Uint8Array(8), difficulty: new Uint8Array(32).fill(255) };
  // Draws that audit every range the odds allow at all, and none they do not make certain.
  const runs = [0, 0.999].map((draw) => {
    const clock = new ManualClock();
    const audit = new ProofAudit({ check: async () => true, capacity: () => 1000, pending: 0 }, clock, () => draw);
    const shown: number[] = [];
    let audited = 0;
    for (let second = 0; second < 60; second++) {
      // Twice the budget in later ranges, and a worker's first range every 5 s.
      for (let r = 0; r < 14; r++) {
        const claim: { audited?: boolean; first?: boolean } = { first: r === 0 && second % 5 === 0 };
        for (let i = 0; i < EXPECTED_SHARES; i++) audit.share(job, BigInt(i), 1n, claim);
        if (claim.audited) audited++;
        shown.push(audit.status({ shares: 0, refused: 0 }).checkedFraction);
      }
      clock.advance(1000);
    }
    return { shown, audited };
  });
  // 830 of the 840 ranges audited in one run (not first ranges the later ones leave nothing to), 103 in the other
  // (while the share rate's window fills): the same odds shown after each.
  expect(runs[0]!.audited - runs[1]!.audited).toBeGreaterThan(700);
  expect(runs[1]!.shown).toEqual(runs[0]!.shown);
  expect(Math.min(...runs[0]!.shown)).toBeLessThan(0.5);
});

test("within the verifier's budget every range is audited", () => {
  const clock = new ManualClock();
  const audit = new ProofAudit({ check: async () => true, capacity: () => 1000, pending: 0 }, clock, seededRandom(7));
  const job = { miner: new Uint8Array(32), nonceGroup: 0, challenge: new Uint8Array(8), difficulty: new Uint8Array(32).fill(255) };
  for (let second = 0; second < 60; second++) {
    // 288 shares a second: 58% of the 500 allowed
    for (let r = 0; r < 4; r++) {
      const claim: { audited?: boolean } = {};
      for (let i = 0; i < EXPECTED_SHARES; i++) expect(audit.share(job, BigInt(i), 1n, claim)).not.toBeNull();
    }
    clock.advance(1000);
  }
});

test("a fleet joining at once: the checks asked as shares come stay within the budget, the few each range's credit needs first, later ranges' audits next, first ranges' last", () => {
  const clock = new ManualClock();
  const capacity = 144; // shares may take 72 checks a second
  const audit = new ProofAudit({ check: async () => true, capacity: () => capacity, pending: 0 }, clock, seededRandom(3));
  const job = { miner: new Uint8Array(32), nonceGroup: 0, challenge: new Uint8Array(8), difficulty: new Uint8Array(32).fill(255) };
  let checks = 0;
  const send = (claim: { audited?: boolean; first?: boolean }, counted: boolean) => {
    let checked = 0;
    for (let i = 0; i < EXPECTED_SHARES; i++) if (audit.share(job, BigInt(i), 1n, claim) !== null) checked++;
    // A range not audited has MIN_CHECKED of its shares checked before its credit.
    if (counted) checks += claim.audited ? checked : MIN_CHECKED;
    return claim.audited!;
  };
  const audited = { later: 0, first: 0 };
  for (let second = 0; second < 60; second++) {
    const counted = second >= 30;
    // Each second: 8 first ranges (a fleet joining, 8 times the budget) and a later range every 3 s (a third of it).
    for (let i = 0; i < 8; i++) if (send({ first: true }, counted) && counted) audited.first++;
    if (second % 3 === 0 && send({ first: false }, counted) && counted) audited.later++;
    clock.advance(1000);
  }
  // Over the last 30 s: within the 72 checks a second shares may take (the window the rates are measured over lags a
  // little), and a later range far likelier to be audited than a first one.
  expect(checks / 30).toBeLessThanOrEqual(72 * 1.1);
  expect(audited.later / 10).toBeGreaterThan(0.5);
  expect(audited.first / 240).toBeLessThan(0.1);
});
