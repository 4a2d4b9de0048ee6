// What workers report about their ranges, and what the pool does about it: a share is recorded and checked (all, or
// those of the ranges audited, as many as the verifier keeps up with; the rest later, in its spare time), a range
// reported done is credited to its worker's claim once its checks are in, with the proof its shares give; a nonce
// found is checked before anyone hears of it. A worker that sends false work, or whose claims cover their ranges too
// thinly, is caught: dropped, its claims undone, and what was taken from it kept from its name and address for a
// while. Every drop goes through here, with its cause.
import { parseNonce } from "../bytes/hex";
import { HOLD_OFF_LIMITS } from "../net/hold-offs";
import type { Clock } from "./clock";
import type { PoolEvent } from "./coordinator";
import type { Bar } from "./nonce-space";
import type { DropCause } from "./pool-activity";
import { CoverageRecords, type CoverageRecord } from "./coverage-records";
import { COVERAGE_FAILURES, COVERAGE_WINDOW, EXPECTED_SHARES, MAX_SHARES, MIN_CHECKED, MIN_SHARES, proofOf, type ProofAudit } from "./proof-audit";
import { CLOSE } from "./protocol";
import { LaterChecks, type LaterCheck } from "./later-checks";
import type { Range } from "./range";
import type { RunningJob } from "./running-job";
import { MIN_SILENT_MS, type Scheduler } from "./scheduler";
import type { WorkerSession } from "./worker-session";

/** How a worker dropped for each cause is told so: the close code its `join` logs. */
const CLOSE_OF_CAUSE: Record<DropCause, number> = {
  "bad-work": CLOSE.invalidWork,
  silent: CLOSE.silent,
  "worker-failed": CLOSE.workerFailed,
  protocol: CLOSE.malformed,
};
/** Dropped for these, a worker's address is held off its next hellos: doing it again costs it, not the pool. */
const HELD_OFF: ReadonlySet<DropCause> = new Set(["bad-work", "protocol"]);
/** Dropped for these, the nonces taken back from a worker are kept from it under its name and address (barOf). */
const SUSPECT: ReadonlySet<DropCause> = new Set(["bad-work", "silent"]);
/** Whose a range checked in spare time was. */
type LaterOwner = { session: WorkerSession; job: RunningJob };

/** Checks of one worker's shares queued at once at most: past that its shares go unchecked until some are done. */
const MAX_CHECKS_PER_WORKER = 2 * EXPECTED_SHARES;

export interface WorkReportsParts {
  audit: ProofAudit;
  clock: Clock;
  scheduler: Scheduler;
  /** The connected workers, as the coordinator keeps them: a dropped one leaves it here. */
  sessions: Map<number, WorkerSession>;
  emit: (event: PoolEvent) => void;
  /** True once the pool is closing: checks cut short then are no news. */
  closing: () => boolean;
  /** Draws in [0, 1): which unchecked shares a range's proof checks. */
  random: () => number;
}

export class WorkReports {
  /** Since the pool started, of all workers. */
  sharesChecked = 0;
  sharesRejected = 0;
  /** Ranges credited to their workers' claims, and of those, proven searched. */
  claims = 0;
  claimsProven = 0;

  private readonly later: LaterChecks<LaterOwner>;
  private readonly records: CoverageRecords<WorkerSession>;

  constructor(private readonly parts: WorkReportsParts) {
    this.records = new CoverageRecords(parts.clock);
    this.later = new LaterChecks({
      audit: parts.audit,
      done: this.checkedLater,
      failed: (err) => this.checkFailed(err),
      moot: ({ session }) => session.caught,
      broke: this.broke,
    });
  }

  share(session: WorkerSession, range: Range, text: string): void {
    // A share for a range that ended (a stop crossed it) or was reported is late: nothing to credit, nothing to keep.
    const job = this.parts.scheduler.jobOf(range);
    if (job === null || range.state !== "searching") return;
    const nonce = parseNonce(text);
    const verdict = nonce === null ? "outside" : range.addShare(nonce);
    if (verdict === "outside") return this.rejected(session, `share ${text} is outside its range ${range.id}`);
    if (verdict === "twice") return this.rejected(session, `share ${nonce} sent twice`);
    session.sharesReceived++;
    if (range.shares.size > MAX_SHARES) {
      return this.caught(session, `range ${range.id} got over ${MAX_SHARES} shares; an honest search yields about ${EXPECTED_SHARES}`);
    }
    // One worker's checks wait in the verifier's queue only so far, whatever it sends.
    const check = this.parts.audit.share(job.entry.job, nonce!, range.shareTarget, range, session.checking < MAX_CHECKS_PER_WORKER);
    if (check === null) range.unchecked.push(nonce!);
    else this.check(range, nonce!, check, range.hashesPerShare);
  }

  done(session: WorkerSession, range: Range): void {
    if (session.range !== range) return;
    session.leaveRange(range, this.parts.clock.now(), true);
    range.reportDone();
    session.unsettled.add(range);
    if (range.shares.size < MIN_SHARES) {
      return this.caught(
        session,
        `range ${range.id} reported searched with ${range.shares.size} share(s); an honest search yields about ${EXPECTED_SHARES}`,
      );
    }
    // However thin the sampling, no range is credited before a few of its shares, picked at random, check out. The
    // picked stand for all the unchecked ones in the worker's rate: each range's shares count once, checked or not.
    const job = this.parts.scheduler.jobOf(range);
    const picks = Math.min(Math.max(0, MIN_CHECKED - range.checked - range.checking), range.unchecked.length);
    const hashes = (range.hashesPerShare * range.unchecked.length) / Math.max(1, picks);
    for (let i = 0; job !== null && i < picks; i++) {
      const [nonce] = range.unchecked.splice(Math.floor(this.parts.random() * range.unchecked.length), 1);
      this.check(range, nonce!, this.parts.audit.recheck(job.entry.job, nonce!, range.shareTarget), hashes);
    }
    this.settle(range);
    this.parts.scheduler.assign(session);
  }

  found(session: WorkerSession, range: Range, text: string): void {
    const nonce = parseNonce(text);
    if (nonce === null || !range.contains(nonce)) return this.caught(session, `nonce ${text} is outside its range ${range.id}`);
    const { scheduler } = this.parts;
    const job = scheduler.jobOf(range);
    // An answer for a job already finished or cancelled (it crossed the stop) changes nothing.
    if (job === null || range.state !== "searching") return;
    session.leaveRange(range, this.parts.clock.now(), false);
    range.answer();
    session.unsettled.add(range);
    this.parts.audit.nonce(job.entry.job, nonce).then(
      (ok) => {
        if (!ok) return this.caught(session, `nonce ${nonce} does not meet the job's difficulty`);
        if (scheduler.job === job) scheduler.finish({ nonce }, session.label);
      },
      (err: unknown) => {
        // Not the worker's fault: its range is searched again rather than its answer taken unchecked.
        this.checkFailed(err);
        session.unsettled.delete(range);
        scheduler.takeBack(range);
        scheduler.assignIdle(session);
      },
    ).catch(this.broke);
  }

  /** The coverage record of a worker joining from `address`: the one a worker left there, if any (CoverageRecords). */
  recordFor(address: string): CoverageRecord<WorkerSession> {
    return this.records.take(address);
  }

  /** A worker's connection ended (it left or was dropped): its record waits at its address, unless it was caught. */
  ended(session: WorkerSession): void {
    if (!session.caught) this.records.keep(session.link.address, session.record);
  }

  /**
   * Lets a worker go for `cause`: its range goes back, and its address is held off for false work or broken
   * messages. A worker caught after it left (a check came back failed) is still named and held off.
   */
  drop(session: WorkerSession, cause: DropCause, reason: string, how: { undone?: bigint; code?: number } = {}): void {
    const { undone = 0n, code = CLOSE_OF_CAUSE[cause] } = how;
    const wasGone = session.gone;
    session.gone = true;
    this.parts.sessions.delete(session.id);
    this.parts.scheduler.takeBack(session.range, SUSPECT.has(cause) ? this.barOf(session) : null);
    this.parts.emit({ type: "dropped", worker: session.label, remote: session.link.remote, cause, reason, undone });
    if (HELD_OFF.has(cause)) session.link.holdOff();
    if (!wasGone) {
      session.link.close(code, reason.slice(0, 120));
      this.ended(session);
    }
    this.parts.scheduler.assignIdle();
  }

  /**
   * Follows one share check: a failed one catches the worker; a passed one counts toward its proof, and toward its
   * rate as the `hashes` it stands for.
   */
  private check(range: Range, nonce: bigint, check: Promise<boolean>, hashes: number): void {
    const { session } = range;
    range.checkStarted();
    session.checking++;
    check
      .then(
        (ok) => {
          const now = this.parts.clock.now();
          // A checked share proves the worker is at work on the range, however slow it is.
          range.checkEnded(ok, now + MIN_SILENT_MS);
          if (!ok) return this.rejected(session, `share ${nonce} does not meet its share target`);
          session.sharePassed(range, hashes, now);
          this.sharesChecked++;
        },
        (err: unknown) => {
          range.checkEnded(false, 0);
          this.checkFailed(err);
        },
      )
      .finally(() => {
        session.checking--;
        this.settle(range);
      })
      .catch(this.broke);
  }

  /** A reported range whose checks are all in is credited to its worker's claim, and its coverage weighed. */
  private settle(range: Range): void {
    if (!range.readyToSettle || this.parts.closing()) return;
    const { scheduler } = this.parts;
    const job = scheduler.jobOf(range);
    range.settle();
    range.session.unsettled.delete(range);
    if (job === null) return;
    const proof = proofOf(range, range.shares, range.checked);
    const { session } = range;
    session.claimed(proof);
    scheduler.weighed(session);
    this.claims++;
    if (proof.proven) this.claimsProven++;
    job.credit(range, proof);
    if (this.judged(session, job)) return;
    scheduler.assignIdle(session);
    if (range.unchecked.length > 0) this.checkLater(range, job);
  }

  /** Shares of credited ranges waiting for the verifier's spare time, and ranges left claims for want of room. */
  get laterChecks(): { shares: number; refused: number } {
    return { shares: this.later.shares, refused: this.later.refused };
  }

  /** The pool is closing: ranges waiting for spare time are let go. */
  close(): void {
    this.later.close();
  }

  /**
   * The rest of a credited range's shares, checked in the verifier's spare time: a range not audited is proven all
   * the same once they pass, and weighs its worker's coverage, so a worker that searches part of each range is caught
   * however large the fleet (later, as the verifier finds the time). Past LaterChecks' bound it stays a claim.
   */
  private checkLater(range: Range, job: RunningJob): void {
    const nonces = BigUint64Array.from(range.unchecked);
    // What it proves once they pass: the shares checked before (not one whose check could not be made) and these.
    const proof = proofOf(range, range.shares, range.checked + nonces.length);
    const check = { owner: { session: range.session, job }, job: job.entry.job, range: { start: range.start, count: range.count }, target: range.shareTarget, nonces, proof };
    if (this.later.add(check)) range.unchecked.length = 0;
  }

  /** A range's spare-time checks are in: a failed share catches its worker; all passed, the range is proven so. */
  private readonly checkedLater = ({ owner: { session, job }, range, nonces, proof }: LaterCheck<LaterOwner>, failed: bigint | null): void => {
    if (this.parts.closing()) return;
    if (failed !== null) return this.rejected(session, `share ${failed} does not meet its share target`);
    session.sharesChecked += nonces.length;
    this.sharesChecked += nonces.length;
    session.provedLater(proof);
    this.parts.scheduler.weighed(session);
    // Credited still (not undone, nor put back to be searched again) in a job still running.
    const current = this.parts.scheduler.job === job && job.prove(range, session.id, proof);
    if (current && proof.proven) this.claimsProven++;
    if (!this.judged(session, current ? job : null)) this.parts.scheduler.assignIdle();
  };

  /** After a claim is weighed: its worker caught for thin coverage, or the job ended without a nonce; true if either. */
  private judged(session: WorkerSession, job: RunningJob | null): boolean {
    const { record } = session;
    const thin = record.thin;
    if (thin >= COVERAGE_FAILURES) {
      // The record may hold thin claims of earlier connections from its address: each of those is caught, its claims
      // undone; a connection that took the record up is caught only for a thin claim of its own.
      const uneven = "came with shares too few or too uneven for a whole search";
      for (const [by, own] of record.thinBy()) {
        const whose = own === thin ? `${thin} of its last ${COVERAGE_WINDOW} ranges ${uneven}` : `${thin} of the last ${COVERAGE_WINDOW} ranges from its address ${uneven}, ${own} of them its own`;
        this.caught(by, whose);
      }
      record.clear();
      return true;
    }
    if (job !== null && job.exhausted()) {
      this.parts.scheduler.finish({ error: `no valid nonce in the whole nonce space (0..${job.limit - 1n}): every range was searched and proven` });
      return true;
    }
    return false;
  }

  /** A rule broken inside a check's follow-up (a bug): told, rather than left an unhandled rejection. */
  private readonly broke = (err: unknown): void => {
    this.parts.emit({ type: "rule-broken", error: messageOf(err) });
  };

  /** A check that could not run leaves its share unchecked; only while the pool runs is that worth a word. */
  private checkFailed(err: unknown): void {
    if (!this.parts.closing()) this.parts.emit({ type: "check-failed", error: messageOf(err) });
  }

  /** A share that is not what its range asked for: counted, and its worker caught. */
  private rejected(session: WorkerSession, reason: string): void {
    session.sharesRejected++;
    this.sharesRejected++;
    this.caught(session, reason);
  }

  /**
   * A worker sent false work: it is dropped, and everything it reported searched in the open job goes back, kept from
   * it and from any connection with its name or address while the bar holds.
   */
  private caught(session: WorkerSession, reason: string): void {
    if (session.caught) return;
    session.caught = true;
    const bar = this.barOf(session);
    for (const range of session.unsettled) this.parts.scheduler.takeBack(range, bar);
    session.unsettled.clear();
    const undone = this.parts.scheduler.job?.undo(session.id, bar) ?? 0n;
    this.drop(session, "bad-work", reason, { undone });
  }

  /** Nonces taken back from a worker caught or gone silent are not its again for as long as its offence is remembered. */
  private barOf(session: WorkerSession): Bar {
    return { names: session.names, until: this.parts.clock.now() + HOLD_OFF_LIMITS.forgetMs, kind: "suspect" };
  }
}

/** What went wrong, in words, whatever was thrown. */
function messageOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}
