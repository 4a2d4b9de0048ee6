// The job the pool's workers search now: its nonce space, the ranges out on it, how far it is proven (saved as its
// resume point, at most every SAVE_MS) and when its next progress event is due. One at a time; the coordinator
// makes one when the queue's head starts and ends it with its answer.
import { bigFromBytes } from "../bytes/hex";
import { expectedHashes } from "../engine/k2pow-rule";
import type { PoolJob } from "../wire/status";
import type { Clock } from "./clock";
import type { JobQueue, QueuedJob } from "./job-queue";
import { NonceSpace, type Asking, type Bar, type Proof, type Span, type Taker } from "./nonce-space";
import { MIN_RANGE } from "./proof-audit";
import type { Range } from "./range";

/** How often the resume point of the running job is written at most. */
const SAVE_MS = 5000;

export class RunningJob {
  readonly difficulty: bigint;
  readonly expectedHashes: number;
  private readonly space: NonceSpace;
  /** Ranges handed out and not yet settled. */
  private readonly ranges = new Set<Range>();
  private lastProgress: number;
  private lastSaved: number;

  constructor(
    readonly entry: QueuedJob,
    private readonly queue: JobQueue,
    /** Its nonces are 0 to limit − 1. */
    readonly limit: bigint,
    private readonly clock: Clock,
  ) {
    const now = clock.now();
    this.space = new NonceSpace(entry.resumeFrom, MIN_RANGE, limit);
    this.difficulty = bigFromBytes(entry.job.difficulty);
    this.expectedHashes = expectedHashes(entry.job.difficulty);
    this.lastProgress = now;
    this.lastSaved = now;
  }

  get key(): string {
    return this.entry.key;
  }

  /** Seconds since it first started (before a restart too). */
  seconds(): number {
    const now = this.clock.now();
    return (now - (this.entry.startedAt ?? now)) / 1000;
  }

  /** Whether `range` was handed out for this job and the job has not ended it. */
  owns(range: Range): boolean {
    return range.key === this.entry.key && range.state !== "ended";
  }

  /** About `size` nonces for `taker` (NonceSpace.take); the caller makes it a range and `track`s it. */
  take(taker: Taker, size: bigint, asking: Asking): Span | null {
    return this.space.take(taker, size, asking);
  }

  track(range: Range): void {
    this.ranges.add(range);
  }

  /** A range reported searched and settled: credited to its worker's claim with its proof. */
  credit(range: Range, proof: Proof): void {
    this.ranges.delete(range);
    this.space.claim(range, range.session.id, proof);
    this.save(false);
  }

  /** A credited range proven since, every share of it checked in the verifier's spare time (NonceSpace.prove). */
  prove(range: Span, session: number, proof: Proof): boolean {
    const proven = this.space.prove(range, session, proof);
    if (proven) this.save(false);
    return proven;
  }

  /** A range taken back: its nonces are handed out again (not to whom `bar` names, while it holds). */
  giveBack(range: Range, bar: Bar | null): void {
    this.ranges.delete(range);
    this.space.giveBack(range, bar);
  }

  /** Everything worker `session` claimed goes back to be searched by others, under `bar`; the nonces it had claimed. */
  undo(session: number, bar: Bar): bigint {
    return this.space.undo(session, bar);
  }

  /** Every nonce searched and every claim proven: only then may the job end without a nonce. */
  exhausted(): boolean {
    return this.space.exhausted();
  }

  searched(): { claimed: bigint; proven: bigint } {
    return this.space.searched();
  }

  /** The job is over: its resume point is saved and every open range ended, and returned. */
  end(): Range[] {
    this.save(true);
    const ended = [...this.ranges];
    for (const range of ended) range.end();
    this.ranges.clear();
    return ended;
  }

  /** Writes the resume point: `force`, or when SAVE_MS passed since the last write. */
  save(force: boolean): void {
    const now = this.clock.now();
    if (!force && now - this.lastSaved < SAVE_MS) return;
    this.lastSaved = now;
    this.queue.progress(this.entry, this.space.provenBelow());
  }

  /** True once every `everyMs`, when a progress event is due. */
  progressDue(everyMs: number): boolean {
    const now = this.clock.now();
    if (now - this.lastProgress < everyMs) return false;
    this.lastProgress = now;
    return true;
  }

  status(hashRate: number): PoolJob {
    const { claimed, proven } = this.space.searched();
    const expected = this.expectedHashes;
    return {
      key: this.entry.key,
      seconds: this.seconds(),
      searched: claimed,
      proven,
      expectedHashes: expected,
      progress: Math.min(1, Number(claimed) / expected),
      etaSeconds: hashRate > 0 ? Math.max(0, expected - Number(claimed)) / hashRate : null,
      ranges: this.ranges.size,
    };
  }
}
