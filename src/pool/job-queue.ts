// The pool's queue, for the life of the process and across restarts: bounded in all and per asking address, each
// change written to the store before a client hears of it. Fair: the next job is the oldest of the address served
// least recently, so one address's many jobs take turns with everyone else's instead of going first; with one
// address it is first in, first out. Should the database fail, an answer already found is neither lost nor withheld:
// it is kept here, answered from memory, and written once the database works again; new jobs are refused as busy
// (429, which post-service retries) until then.
import type { K2powJob } from "../engine/k2pow-rule";
import type { Asker, JobAnswer } from "../jobs/job-api";
import { jobOfKey } from "../jobs/job-params";
import { addressKey } from "../net/address-scope";
import type { Clock } from "./clock";
import { renameSync, rmSync } from "node:fs";
import { JobStore, type StoredAnswer } from "./job-store";
import type { DatabaseHealth } from "../wire/status";

export type { DatabaseHealth } from "../wire/status";

export interface QueuedJob {
  readonly key: string;
  readonly job: K2powJob;
  readonly seq: number;
  readonly queuedAt: number;
  /** The address key of whoever queued it; "" when unknown (restored from the database, or queued in-process). */
  readonly owner: string;
  /** When the job first became the head of the queue; null while it waits. */
  startedAt: number | null;
  /** Every nonce below this one is proven searched; a restarted pool resumes here. */
  resumeFrom: bigint;
}

export type QueueEvent =
  | { type: "queued"; key: string; position: number }
  | { type: "store-failed"; error: string; unsaved: number }
  | { type: "store-recovered"; written: number }
  | { type: "store-lost"; reason: string; kept: { queued: number; answers: number; fromFile: number } }
  | { type: "store-moved-aside"; path: string; movedTo: string };

/** How often answers the database refused are offered to it again. */
const RETRY_MS = 5000;
/** How often the database file is looked at, to notice it deleted or replaced. */
const WATCH_MS = 2000;

export class JobQueue {
  private readonly entries: QueuedJob[] = [];
  private readonly byKey = new Map<string, QueuedJob>();
  private readonly unsaved = new Map<string, StoredAnswer & { at: number }>();
  /** Per owner with jobs queued: how many, and when one of them last became the head (0: never). */
  private readonly owners = new Map<string, { held: number; turn: number }>();
  private turns = 0;
  /** The head job once started, until it leaves the queue. */
  private running: QueuedJob | null = null;
  private storeError: string | null = null;
  private seq = 0;
  private readonly stopClocks: (() => void)[];
  /** A database file lost and not yet made anew; `replaced` while someone's file is still to be moved aside. */
  private missing: { path: string; replaced: boolean } | null = null;
  private lost: DatabaseHealth["lost"] = null;

  constructor(
    private store: JobStore,
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
      this.add({ ...stored, job, owner: "" });
      this.seq = Math.max(this.seq, stored.seq);
    }
    this.stopClocks = [clock.every(RETRY_MS, () => this.flush()), clock.every(WATCH_MS, () => this.watch())];
  }

  /** post-service's request: the answer when there is one, else the job queued (busy when it cannot be). */
  request(key: string, job: K2powJob, from?: Asker): JobAnswer {
    const memo = this.unsaved.get(key);
    if (memo !== undefined) return answerOf(memo);
    if (this.missing !== null) {
      return this.byKey.has(key) ? { kind: "accepted" } : { kind: "busy", reason: "the pool is making its lost database anew" };
    }
    let stored: StoredAnswer | null;
    try {
      stored = this.store.answer(key);
    } catch (err) {
      this.failed(err);
      return { kind: "busy", reason: "the pool cannot read its database" };
    }
    if (stored !== null) return answerOf(stored);
    if (this.byKey.has(key)) return { kind: "accepted" };
    const owner = from === undefined ? "" : addressKey(from.address);
    const held = this.owners.get(owner)?.held ?? 0;
    if (from !== undefined && held >= from.share) {
      return { kind: "busy", cause: "queue-share", reason: `this address holds ${held} jobs in the pool's queue, its share (--queue-per-address)` };
    }
    if (this.entries.length >= this.size) return { kind: "busy", cause: "queue-full", reason: `the pool's queue is full (${this.size} jobs)` };
    const entry: QueuedJob = { key, job, seq: this.seq + 1, queuedAt: this.clock.now(), owner, startedAt: null, resumeFrom: 0n };
    if (!this.write(() => this.store.enqueue(key, entry.seq, entry.queuedAt))) {
      return { kind: "busy", reason: "the pool cannot write its database" };
    }
    this.seq = entry.seq;
    this.add(entry);
    this.emit({ type: "queued", key, position: this.entries.length });
    return { kind: "accepted" };
  }

  /** The job every worker works on: the running one, else the next to start. */
  head(): QueuedJob | null {
    if (this.running !== null) return this.running;
    let next: QueuedJob | null = null;
    let nextTurn = Infinity;
    for (const entry of this.entries) {
      // A job that was running when the pool stopped resumes first.
      if (entry.startedAt !== null) return entry;
      const turn = this.owners.get(entry.owner)!.turn;
      if (turn < nextTurn) {
        next = entry;
        nextTurn = turn;
      }
    }
    return next;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  jobs(): readonly QueuedJob[] {
    return this.entries;
  }

  /** The head job began (or resumed) running. */
  started(entry: QueuedJob): void {
    this.running = entry;
    this.owners.get(entry.owner)!.turn = ++this.turns;
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
    this.remove(entry);
    this.record(key, answer);
  }

  /** Takes a job out of the queue, or forgets its answer; false when there was neither. */
  cancel(key: string): boolean {
    const entry = this.byKey.get(key);
    if (entry !== undefined) this.remove(entry);
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
      if (this.missing === null) ({ done, failed } = this.store.counts());
    } catch (err) {
      this.failed(err);
    }
    for (const answer of this.unsaved.values()) "nonce" in answer ? done++ : failed++;
    return { done, failed };
  }

  health(): DatabaseHealth {
    return { ok: this.storeError === null, error: this.storeError, unsavedAnswers: this.unsaved.size, lost: this.lost };
  }

  close(): void {
    for (const stop of this.stopClocks) stop();
    this.flush();
    this.store.close();
  }

  /**
   * Notices the database file deleted or replaced under the pool. What the lost file holds (still readable through
   * the open handle) joins what is kept in memory and is answered from there; the pool carries on at once, and a new
   * database at the same path is written with the queue and every answer. A file put in its place is someone's: it
   * is moved aside, never written into.
   */
  private watch(): void {
    if (this.missing !== null) return this.reopen();
    let what: "deleted" | "replaced" | null;
    try {
      what = this.store.lost();
    } catch (err) {
      return this.failed(err);
    }
    if (what === null) return;
    const { path } = this.store;
    let held = 0;
    try {
      for (const { key, answer, finishedAt } of this.store.dump().answers) {
        if (this.unsaved.has(key)) continue;
        this.unsaved.set(key, { ...answer, at: finishedAt });
        held++;
      }
    } catch (err) {
      // Unreadable as well: the queue in memory is still whole, and answers given are kept only while unsaved.
      this.failed(err);
    }
    // Closed before its journal is removed: a handle left open would later delete the new file's journal by name.
    this.store.close();
    this.missing = { path, replaced: what === "replaced" };
    const reason = what === "deleted" ? `the database file ${path} was deleted` : `the database file ${path} was replaced by another file`;
    this.lost = { at: this.clock.now(), reason, restored: 0 };
    this.emit({ type: "store-lost", reason, kept: { queued: this.entries.length, answers: this.unsaved.size, fromFile: held } });
    this.reopen();
  }

  /** Makes the database anew from the queue and answers in memory; retried every WATCH_MS until it works. */
  private reopen(): void {
    const missing = this.missing!;
    const { path } = missing;
    try {
      // The lost file's journal stays behind under the path's name, and SQLite reads it as the journal of whatever
      // file is there: a file put in its place would show the pool's pages, a new database would take them as its own.
      for (const journal of [`${path}-wal`, `${path}-shm`]) rmSync(journal, { force: true });
    } catch (err) {
      return this.failed(err);
    }
    if (missing.replaced) {
      const movedTo = `${path}.replaced-${this.clock.now()}`;
      try {
        renameSync(path, movedTo);
        this.emit({ type: "store-moved-aside", path, movedTo });
      } catch (err) {
        // Never open someone's file as the pool's: tried again on the next look (unless it is gone already).
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") return this.failed(err);
      }
      missing.replaced = false;
    }
    let store: JobStore | null = null;
    try {
      store = new JobStore(path);
      const answers = [...this.unsaved].map(([key, { at, ...answer }]) => ({ key, answer: answer as StoredAnswer, finishedAt: at }));
      store.restore({ queued: this.entries.map(({ key, seq, queuedAt, startedAt, resumeFrom }) => ({ key, seq, queuedAt, startedAt, resumeFrom })), answers });
    } catch (err) {
      store?.close();
      return this.failed(err);
    }
    this.store = store;
    this.missing = null;
    const written = this.unsaved.size;
    this.unsaved.clear();
    this.lost = { ...this.lost!, restored: written };
    this.storeError = null;
    this.emit({ type: "store-recovered", written });
  }

  private add(entry: QueuedJob): void {
    this.entries.push(entry);
    this.byKey.set(entry.key, entry);
    const owner = this.owners.get(entry.owner);
    if (owner === undefined) this.owners.set(entry.owner, { held: 1, turn: 0 });
    else owner.held++;
  }

  private remove(entry: QueuedJob): void {
    this.entries.splice(this.entries.indexOf(entry), 1);
    this.byKey.delete(entry.key);
    if (this.running === entry) this.running = null;
    const owner = this.owners.get(entry.owner)!;
    // Forgotten with its last job: the table stays as small as the queue.
    if (--owner.held === 0) this.owners.delete(entry.owner);
  }

  private record(key: string, answer: StoredAnswer): void {
    const at = this.clock.now();
    this.unsaved.set(key, { ...answer, at });
    if (this.write(() => this.store.finish(key, answer, at))) this.unsaved.delete(key);
  }

  /** Offers the answers the database refused to it again, oldest first; with none, just tries a write. */
  private flush(): void {
    if (this.storeError !== null && this.unsaved.size === 0) {
      this.write(() => this.store.touch());
      return;
    }
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
    // Lost and not yet made anew: what is kept in memory is written with the new file.
    if (this.missing !== null) return false;
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
