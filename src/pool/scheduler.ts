// Which worker searches what, and when: the queue's head becomes the running job; every idle worker gets the next
// range of it, sized to a few seconds of the work its checked shares prove, and none runs ahead of the proof of its
// last range; nonces that came back go first, to the best proven record first; a range not searched to the end goes
// back; a job's end stops its workers and starts the next.
import { hexFromBig, toHex } from "../bytes/hex";
import type { StoredAnswer } from "./job-store";
import type { JobQueue } from "./job-queue";
import type { Bar } from "./nonce-space";
import type { PoolEvent } from "./coordinator";
import { hashesPerShare, shareTarget } from "./proof-audit";
import { Range } from "./range";
import { RunningJob } from "./running-job";
import type { Clock } from "./clock";
import { firstRangeSeconds, rangeSeconds } from "./range-length";
import type { WorkerSession } from "./worker-session";

/** A range not finished in this many times its expected time, and at least MIN_SILENT_MS, drops its worker. */
const SILENT_FACTOR = 6;
export const MIN_SILENT_MS = 30_000;
/** Idle workers handed a range in one turn of the event loop, at most (about 36 µs each here). */
const ASSIGN_BATCH = 256;

export interface SchedulerParts {
  queue: JobQueue;
  clock: Clock;
  /** The connected workers, as the coordinator keeps them. */
  sessions: ReadonlyMap<number, WorkerSession>;
  emit: (event: PoolEvent) => void;
  nonceLimit: bigint;
  /** The verifier's checks per second, null until measured: ranges grow with the fleet to stay within it. */
  checkCapacity: () => number | null;
}

export class Scheduler {
  private running: RunningJob | null = null;
  private nextRangeId = 1;
  /**
   * Workers free for a range that got none (every nonce of the job handed out): the only idle ones besides a worker
   * just freed, so that what frees a worker or brings nonces back need not walk the whole fleet.
   */
  private readonly waiting = new Set<WorkerSession>();
  /**
   * The last trusted worker found, checked first, and whether none was when last asked (true until a record is
   * weighed again: only that makes a worker trusted): asking whether there is one seldom walks the fleet.
   */
  private trustedHint: WorkerSession | null = null;
  private noneTrusted = false;
  /** Jobs start only between `open` and `close`. */
  private state: "new" | "open" | "closed" = "new";

  constructor(private readonly parts: SchedulerParts) {}

  /** The job searched now. */
  get job(): RunningJob | null {
    return this.running;
  }

  /** Whether `id` was ever handed out as a range id. */
  handedOut(id: number): boolean {
    return id < this.nextRangeId;
  }

  /** From now on jobs start: the queue's head (one stored by an earlier run resumes) at once. */
  open(): void {
    if (this.state !== "new") return;
    this.state = "open";
    this.startNext();
  }

  /** No job starts and no range is handed out from now on; the running job's resume point is written. */
  close(): void {
    this.running?.save(true);
    this.state = "closed";
  }

  /** The queue's head becomes the running job, when none runs. */
  startNext(): void {
    const { queue, clock, nonceLimit } = this.parts;
    const entry = queue.head();
    if (this.running !== null || entry === null || this.state !== "open") return;
    // A job resumed after a restart waited before its first start, not now.
    const firstStart = entry.startedAt === null;
    queue.started(entry);
    const now = clock.now();
    this.running = new RunningJob(entry, queue, nonceLimit, clock);
    this.parts.emit({
      type: "started",
      key: entry.key,
      expectedHashes: this.running.expectedHashes,
      resumeFrom: entry.resumeFrom,
      waitedSeconds: firstStart ? (now - entry.queuedAt) / 1000 : null,
    });
    this.assignAll();
  }

  /** Ends the running job: every worker on it is stopped. The caller records the outcome and starts the next. */
  endRunning(): void {
    const job = this.running;
    if (job === null) return;
    this.running = null;
    for (const range of job.end()) {
      const { session } = range;
      session.unsettled.delete(range);
      if (session.range !== range) continue;
      session.link.send({ type: "stop", range: range.id });
      session.leaveRange(range, this.parts.clock.now(), false);
    }
  }

  /** Records the running job's outcome, stops its workers and starts the next job; `by` is the worker that found it. */
  finish(answer: StoredAnswer, by = ""): void {
    const job = this.running;
    if (job === null) return;
    const { key } = job;
    const seconds = job.seconds();
    const { claimed } = job.searched();
    this.endRunning();
    this.parts.queue.finish(key, answer);
    if ("nonce" in answer) this.parts.emit({ type: "done", key, nonce: answer.nonce, worker: by, searched: claimed, seconds });
    else this.parts.emit({ type: "failed", key, error: answer.error, seconds });
    this.startNext();
  }

  /** A job's start: every connected worker is handed a range, in turns. */
  private assignAll(): void {
    this.waiting.clear();
    this.assignInTurns(this.byRecord([...this.parts.sessions.values()].filter((s) => this.ready(s))));
  }

  /**
   * Hands a range to `freed` (a worker whose last range was just settled or given back) and to the workers waiting
   * for one, the best proven record first, since nonces that came back go first.
   */
  assignIdle(freed?: WorkerSession): void {
    if (this.running === null || this.state !== "open") return;
    for (const session of this.waiting) if (!this.ready(session)) this.waiting.delete(session);
    const idle = this.byRecord([...this.waiting]);
    if (freed !== undefined && this.ready(freed) && !this.waiting.has(freed)) idle.unshift(freed);
    this.assignInTurns(idle);
  }

  private byRecord(sessions: WorkerSession[]): WorkerSession[] {
    if (sessions.length > 1) sessions.sort((a, b) => Number(b.trusted) - Number(a.trusted) || b.rangesProven - a.rangesProven);
    return sessions;
  }

  /**
   * A job's start finds a whole fleet idle: ASSIGN_BATCH of `idle` get their ranges now and the rest in later turns
   * of the event loop, after whatever else waits (post-service's polls), not in one turn that holds everything up.
   * Each turn takes the next part of the list, so it ends; assign() skips whoever is no longer idle.
   */
  private assignInTurns(idle: WorkerSession[]): void {
    for (const session of idle.slice(0, ASSIGN_BATCH)) this.assign(session);
    const rest = idle.slice(ASSIGN_BATCH);
    if (rest.length > 0) setImmediate(() => this.running !== null && this.state === "open" && this.assignInTurns(rest));
  }

  /** Free for a range: none in hand, the last one's checks all in (a worker cannot run ahead of the proof of its work). */
  private ready(session: WorkerSession): boolean {
    return session.range === null && session.unsettled.size === 0 && !session.gone;
  }

  /** Hands an idle worker the next range of the running job, sized to the work it has proven it does. */
  assign(session: WorkerSession): void {
    const job = this.running;
    if (job === null || !this.ready(session) || this.state !== "open") return;
    const now = this.parts.clock.now();
    const rate = session.sizingRate(now);
    const first = session.rangesDone === 0;
    const sizing = first ? firstRangeSeconds : rangeSeconds;
    const seconds = sizing(this.parts.sessions.size, this.parts.checkCapacity());
    const span = job.take(session, BigInt(Math.round(rate * seconds)), {
      now,
      alone: this.parts.sessions.size === 1,
      // Nonces that came back (a liar's, a silent worker's, a claim not proven) go to a trusted worker where there is one.
      reopened: () => session.trusted || !this.anyTrusted(),
    });
    if (span === null) return void this.waiting.add(session);
    this.waiting.delete(session);
    const target = shareTarget(span.count, job.difficulty);
    // Paced at no less than the first guess, so a rate the proof holds near zero cannot stretch it without end.
    const deadline = now + Math.max(MIN_SILENT_MS, (Number(span.count) / Math.max(rate, session.firstRate)) * 1000 * SILENT_FACTOR);
    const range = new Range(this.nextRangeId++, job.key, session, span.start, span.count, now, deadline, target, hashesPerShare(target, job.difficulty));
    range.first = first;
    job.track(range);
    session.begin(range);
    const { entry } = job;
    session.link.send({
      type: "work",
      range: range.id,
      job: { miner: toHex(entry.job.miner), nonceGroup: entry.job.nonceGroup, challenge: toHex(entry.job.challenge), difficulty: toHex(entry.job.difficulty) },
      start: span.start.toString(),
      count: span.count.toString(),
      shareTarget: hexFromBig(target, 32),
    });
  }

  /** A range not searched to the end goes back to its job, to be handed out again (not to whom `bar` names). */
  takeBack(range: Range | null, bar: Bar | null = null): void {
    if (range === null || !range.open) return;
    if (range.session.range === range) range.session.leaveRange(range, this.parts.clock.now(), false);
    const job = this.jobOf(range);
    range.takeBack();
    job?.giveBack(range, bar);
  }

  /** The running job, when `range` belongs to it. */
  jobOf(range: Range): RunningJob | null {
    return this.running !== null && this.running.owns(range) ? this.running : null;
  }

  /** A worker's claim was weighed in its record: it may be trusted now. */
  weighed(session: WorkerSession): void {
    if (!session.trusted) return;
    this.trustedHint = session;
    this.noneTrusted = false;
  }

  /** Whether a connected worker has a trusted record: such workers take reopened nonces before the rest. */
  private anyTrusted(): boolean {
    const hint = this.trustedHint;
    if (hint !== null && !hint.gone && hint.trusted) return true;
    this.trustedHint = null;
    if (this.noneTrusted) return false;
    for (const session of this.parts.sessions.values()) {
      if (session.trusted) {
        this.trustedHint = session;
        return true;
      }
    }
    this.noneTrusted = true;
    return false;
  }
}
