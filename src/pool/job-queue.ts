// The pool's queue, for the life of the process and across restarts: first in, first out, bounded, each change
// written to the store before a client hears of it. Should the database fail, an answer already found is neither
// lost nor withheld: it is kept here, answered from memory, and written once the database works again; new jobs
// are refused as busy (429, which post-service retries) until then.
import type { K2powJob } from "../engine/k2pow-rule";
import type { JobAnswer } from "../jobs/job-manager";
import { jobOfKey } from "../jobs/job-params";
import type { Clock } from "./clock";
import type { JobStore, StoredAnswer } from "./job-store";

export interface QueuedJob {
  readonly key: string;
  readonly job: K2powJob;
  readonly seq: number;
  readonly queuedAt: number;
  /** When the job first became the head of the queue; null while it waits. */
  startedAt: number | null;
  /** Every nonce below this one is proven searched; a restarted pool resumes here. */
  resumeFrom: bigint;
}

export type QueueEvent =
  | { type: "queued"; key: string; position: number }
  | { type: "store-failed"; error: string; unsaved: number }
  | { type: "store-recovered"; written: number };

export interface DatabaseHealth {
  ok: boolean;
  /** The last write's failure, while writes fail. */
  error: string | null;
  /** Answers given to clients that the database does not hold yet. */
  unsavedAnswers: number;
}

/** How often answers the database refused are offered to it again. */
const RETRY_MS = 5000;

export class JobQueue {
  private readonly entries: QueuedJob[] = [];
  private readonly byKey = new Map<string, QueuedJob>();
  private readonly unsaved = new Map<string, StoredAnswer & { at: number }>();
  private storeError: string | null = null;
  private seq = 0;
  private readonly stopRetry: () => void;

  constructor(
    private readonly store: JobStore,
    private readonly size: number,
    private readonly clock: Clock,
    private readonly emit: (event: QueueEvent) => void,
  ) {
    for (const stored of store.queued()) {
      const job = jobOfKey(stored.key);
      // A row this program did not write cannot be run; it is answered as failed rather than dropped silently.
      if (job === null) {
        this.record(stored.key, { error: "the stored job could not be read back" });
        continue;
      }
      const entry: QueuedJob = { ...stored, job };
      this.entries.push(entry);
      this.byKey.set(entry.key, entry);
      this.seq = Math.max(this.seq, stored.seq);
    }
    this.stopRetry = clock.every(RETRY_MS, () => this.flush());
  }

  /** post-service's request: the answer when there is one, else the job queued (busy when it cannot be). */
  request(key: string, job: K2powJob): JobAnswer {
    const memo = this.unsaved.get(key);
    if (memo !== undefined) return answerOf(memo);
    let stored: StoredAnswer | null;
    try {
      stored = this.store.answer(key);
    } catch (err) {
      this.failed(err);
      return { kind: "busy", reason: "the pool cannot read its database" };
    }
    if (stored !== null) return answerOf(stored);
    if (this.byKey.has(key)) return { kind: "accepted" };
    if (this.entries.length >= this.size) return { kind: "busy", reason: `the pool's queue is full (${this.size} jobs)` };
    const entry: QueuedJob = { key, job, seq: this.seq + 1, queuedAt: this.clock.now(), startedAt: null, resumeFrom: 0n };
    if (!this.write(() => this.store.enqueue(key, entry.seq, entry.queuedAt))) {
      return { kind: "busy", reason: "the pool cannot write its database" };
    }
    this.seq = entry.seq;
    this.entries.push(entry);
    this.byKey.set(key, entry);
    this.emit({ type: "queued", key, position: this.entries.length });
    return { kind: "accepted" };
  }

  /** The job every worker works on. */
  head(): QueuedJob | null {
    return this.entries[0] ?? null;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  jobs(): readonly QueuedJob[] {
    return this.entries;
  }

  /** The head job began (or resumed) running. */
  started(entry: QueuedJob): void {
    if (entry.startedAt !== null) return;
    entry.startedAt = this.clock.now();
    this.write(() => this.store.start(entry.key, entry.startedAt!));
  }

  /** Remembers how far the job is proven searched; a failed write only means a restart resumes from lower. */
  progress(entry: QueuedJob, resumeFrom: bigint): void {
    if (resumeFrom === entry.resumeFrom) return;
    entry.resumeFrom = resumeFrom;
    this.write(() => this.store.progress(entry.key, resumeFrom));
  }

  /** The job's answer: out of the queue, answered from now on, and stored (now, or once the database works). */
  finish(key: string, answer: StoredAnswer): void {
    const entry = this.byKey.get(key);
    if (entry === undefined) return;
    this.entries.splice(this.entries.indexOf(entry), 1);
    this.byKey.delete(key);
    this.record(key, answer);
  }

  /** Takes a job out of the queue, or forgets its answer; false when there was neither. */
  cancel(key: string): boolean {
    const entry = this.byKey.get(key);
    if (entry !== undefined) {
      this.entries.splice(this.entries.indexOf(entry), 1);
      this.byKey.delete(key);
    }
    const forgotten = this.unsaved.delete(key);
    let stored = false;
    this.write(() => {
      stored = this.store.forget(key);
    });
    return entry !== undefined || forgotten || stored;
  }

  counts(): { done: number; failed: number } {
    let { done, failed } = { done: 0, failed: 0 };
    try {
      ({ done, failed } = this.store.counts());
    } catch (err) {
      this.failed(err);
    }
    for (const answer of this.unsaved.values()) "nonce" in answer ? done++ : failed++;
    return { done, failed };
  }

  health(): DatabaseHealth {
    return { ok: this.storeError === null, error: this.storeError, unsavedAnswers: this.unsaved.size };
  }

  close(): void {
    this.stopRetry();
    this.flush();
  }

  private record(key: string, answer: StoredAnswer): void {
    const at = this.clock.now();
    this.unsaved.set(key, { ...answer, at });
    if (this.write(() => this.store.finish(key, answer, at))) this.unsaved.delete(key);
  }

  /** Offers the answers the database refused to it again, oldest first. */
  private flush(): void {
    let written = 0;
    for (const [key, answer] of this.unsaved) {
      if (!this.write(() => this.store.finish(key, answer, answer.at), false)) return;
      this.unsaved.delete(key);
      written++;
    }
    if (written > 0 && this.storeError === null) this.emit({ type: "store-recovered", written });
  }

  /** Runs one write; a failure is remembered and told once, a success after failures clears it. */
  private write(fn: () => void, announceRecovery = true): boolean {
    try {
      fn();
    } catch (err) {
      this.failed(err);
      return false;
    }
    if (this.storeError !== null) {
      this.storeError = null;
      if (announceRecovery) this.emit({ type: "store-recovered", written: 0 });
    }
    return true;
  }

  private failed(err: unknown): void {
    const error = (err as Error)?.message ?? String(err);
    if (this.storeError === null) this.emit({ type: "store-failed", error, unsaved: this.unsaved.size });
    this.storeError = error;
  }
}

function answerOf(answer: StoredAnswer): JobAnswer {
  return "nonce" in answer ? { kind: "done", nonce: answer.nonce } : { kind: "failed", error: answer.error };
}
