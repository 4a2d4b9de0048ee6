// A range of one job handed to one worker, from the work message to the pool having done with it. Its life is a
// small state machine, and every move asserts the state it starts from, so a rule that would act on a range twice
// (credit it after it was given back, give it back after it was credited) fails loudly where it happens:
//
//   searching ──reportDone──▶ reported ──settle──▶ settled (credited)
//       │ └────────answer───▶ answered
//       └── takeBack (from searching, reported or answered) ──▶ settled (given back)
//   end (from searching, reported or answered): its job is over ──▶ ended
import type { Span } from "./nonce-space";
import type { AuditedClaim } from "./proof-audit";
import type { WorkerSession } from "./worker-session";

export type RangeState = "searching" | "reported" | "answered" | "settled" | "ended";

/** What became of a share sent for a range. */
export type ShareVerdict = "new" | "outside" | "twice";

/** A range's shares as the pool's counts have them: share checks passed, started and under way; shares left unchecked. */
export interface ShareCounts {
  passed: number;
  started: number;
  inFlight: number;
  unchecked: number;
}

export const NO_COUNTS: Readonly<ShareCounts> = { passed: 0, started: 0, inFlight: 0, unchecked: 0 };

export function addCounts(a: Readonly<ShareCounts>, b: Readonly<ShareCounts>): ShareCounts {
  return { passed: a.passed + b.passed, started: a.started + b.started, inFlight: a.inFlight + b.inFlight, unchecked: a.unchecked + b.unchecked };
}

export class Range implements Span, AuditedClaim {
  private current: RangeState = "searching";
  readonly shares = new Set<bigint>();
  /** Shares left unchecked (its range not audited, or the verifier backlogged): a few are checked at `done`. */
  readonly unchecked: bigint[] = [];
  /** Whether every share is checked (ProofAudit), drawn at the first share. */
  audited?: boolean;
  /** Its worker's first range. */
  first?: boolean;
  /** Share checks started, under way, and passed. */
  private begun = 0;
  private running = 0;
  private passed = 0;

  constructor(
    readonly id: number,
    /** The job's key. */
    readonly key: string,
    readonly session: WorkerSession,
    readonly start: bigint,
    readonly count: bigint,
    readonly sentAt: number,
    /** Past this, a worker still on the range is dropped as silent. */
    private due: number,
    readonly shareTarget: bigint,
    /** Hashes one share of this range stands for, on average. */
    readonly hashesPerShare: number,
  ) {}

  get state(): RangeState {
    return this.current;
  }

  get deadline(): number {
    return this.due;
  }

  get checking(): number {
    return this.running;
  }

  get checked(): number {
    return this.passed;
  }

  /** Its shares so far, which what the pool shows leaves out while it is searched (WorkerSession.searching). */
  get shareCounts(): ShareCounts {
    return { passed: this.passed, started: this.begun, inFlight: this.running, unchecked: this.unchecked.length };
  }

  /** Not yet settled or ended: the pool still owes it a decision. */
  get open(): boolean {
    return this.current === "searching" || this.current === "reported" || this.current === "answered";
  }

  /** Reported, and every check of its shares is in: it can be credited. */
  get readyToSettle(): boolean {
    return this.current === "reported" && this.running === 0;
  }

  contains(nonce: bigint): boolean {
    return nonce >= this.start && nonce < this.start + this.count;
  }

  /** Records a share sent while the worker searches. */
  addShare(nonce: bigint): ShareVerdict {
    this.expect(["searching"], "take a share");
    if (!this.contains(nonce)) return "outside";
    if (this.shares.has(nonce)) return "twice";
    this.shares.add(nonce);
    return "new";
  }

  checkStarted(): void {
    this.begun++;
    this.running++;
  }

  /** A check is in; a passed one proves the worker is at work on the range, however slow it is, until `busyUntil`. */
  checkEnded(ok: boolean, busyUntil: number): void {
    if (this.running === 0) throw new Error(`range ${this.id}: a check ended that never started`);
    this.running--;
    if (!ok) return;
    this.passed++;
    this.due = Math.max(this.due, busyUntil);
  }

  /** The worker says it searched the whole range. */
  reportDone(): void {
    this.move(["searching"], "reported", "report it searched");
  }

  /** The worker sent a nonce for it, which the pool is checking. */
  answer(): void {
    this.move(["searching"], "answered", "answer it");
  }

  /** Its checks are in: it is credited to its worker's claim. */
  settle(): void {
    if (this.running > 0) throw new Error(`range ${this.id}: settled with ${this.running} check(s) under way`);
    this.move(["reported"], "settled", "settle it");
  }

  /** Not searched to the end, or not to be believed: its nonces go back to the job. */
  takeBack(): void {
    this.move(["searching", "reported", "answered"], "settled", "take it back");
  }

  /** Its job is over (answered, failed or cancelled). */
  end(): void {
    this.move(["searching", "reported", "answered"], "ended", "end it");
  }

  private move(from: RangeState[], to: RangeState, action: string): void {
    this.expect(from, action);
    this.current = to;
  }

  private expect(from: RangeState[], action: string): void {
    if (!from.includes(this.current)) throw new Error(`range ${this.id}: cannot ${action} when ${this.current}`);
  }
}
