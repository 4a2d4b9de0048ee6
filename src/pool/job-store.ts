// The pool's memory across restarts, in SQLite: the queue (with how far its head got) and every answer. Each write
// is done before the client hears of it, so nothing a client was told is lost when the pool stops.
import { Database } from "bun:sqlite";
import { statSync } from "node:fs";

export type StoredAnswer = { nonce: bigint } | { error: string };

export interface StoredJob {
  key: string;
  seq: number;
  queuedAt: number;
  /** When the job first became the head of the queue (ms since the epoch); null while it waits. */
  startedAt: number | null;
  /** Every nonce below this one is known to have been searched. */
  resumeFrom: bigint;
}

/** An answer as stored, with when it was given. */
export interface StoredRecord {
  key: string;
  answer: StoredAnswer;
  finishedAt: number;
}

/** Answers kept; the oldest go first. */
const ANSWERS_KEPT = 100_000;

export class JobStore {
  private readonly db: Database;
  private readonly statements;
  /** The file's identity when opened; null for ":memory:". */
  private readonly identity: string | null;

  /** Opens (or creates) the database; throws with SQLite's message when the file cannot be used. */
  constructor(readonly path: string) {
    this.db = new Database(path, { create: true, strict: true });
    this.db.run("PRAGMA journal_mode = WAL");
    this.db.run("PRAGMA synchronous = FULL");
    this.db.run("PRAGMA busy_timeout = 2000");
    this.db.run(`CREATE TABLE IF NOT EXISTS queue (
      key TEXT PRIMARY KEY, seq INTEGER NOT NULL, queued_at INTEGER NOT NULL, started_at INTEGER, resume_from TEXT NOT NULL
    )`);
    this.db.run(`CREATE TABLE IF NOT EXISTS answers (
      id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, nonce TEXT, error TEXT, finished_at INTEGER NOT NULL
    )`);
    this.statements = {
      answer: this.db.query<{ nonce: string | null; error: string | null }, { key: string }>(
        "SELECT nonce, error FROM answers WHERE key = $key",
      ),
      enqueue: this.db.query(
        "INSERT INTO queue (key, seq, queued_at, started_at, resume_from) VALUES ($key, $seq, $queuedAt, NULL, '0')",
      ),
      start: this.db.query("UPDATE queue SET started_at = $startedAt WHERE key = $key"),
      progress: this.db.query("UPDATE queue SET resume_from = $resumeFrom WHERE key = $key"),
      dequeue: this.db.query("DELETE FROM queue WHERE key = $key"),
      record: this.db.query(
        "INSERT OR REPLACE INTO answers (key, nonce, error, finished_at) VALUES ($key, $nonce, $error, $finishedAt)",
      ),
      prune: this.db.query("DELETE FROM answers WHERE id <= (SELECT max(id) FROM answers) - $kept"),
      forget: this.db.query("DELETE FROM answers WHERE key = $key"),
      queued: this.db.query<{ key: string; seq: number; queued_at: number; started_at: number | null; resume_from: string }, []>(
        "SELECT key, seq, queued_at, started_at, resume_from FROM queue ORDER BY seq",
      ),
      counts: this.db.query<{ done: number; failed: number }, []>(
        "SELECT count(nonce) AS done, count(error) AS failed FROM answers",
      ),
      answers: this.db.query<{ key: string; nonce: string | null; error: string | null; finished_at: number }, []>(
        "SELECT key, nonce, error, finished_at FROM answers ORDER BY id",
      ),
      restore: this.db.query(
        "INSERT OR REPLACE INTO queue (key, seq, queued_at, started_at, resume_from) VALUES ($key, $seq, $queuedAt, $startedAt, $resumeFrom)",
      ),
    };
    this.identity = path === ":memory:" ? null : identityOf(path);
  }

  /**
   * Null while the file at the path is the one this store opened; else what became of it. A file deleted or replaced
   * under an open database takes every later write with it, unseen: SQLite keeps writing to the file it opened.
   */
  lost(): "deleted" | "replaced" | null {
    if (this.identity === null) return null;
    const now = identityOf(this.path);
    if (now === null) return "deleted";
    return now === this.identity ? null : "replaced";
  }

  /** Everything it holds, read through the open file even when its name is gone: the queue and every answer. */
  dump(): { queued: StoredJob[]; answers: StoredRecord[] } {
    return {
      queued: this.queued(),
      answers: this.statements.answers.all().map((r) => ({
        key: r.key,
        answer: r.nonce !== null ? { nonce: BigInt(r.nonce) } : { error: r.error ?? "failed" },
        finishedAt: r.finished_at,
      })),
    };
  }

  /** Writes back what another store held (dump), in one transaction. */
  restore({ queued, answers }: { queued: StoredJob[]; answers: StoredRecord[] }): void {
    this.db.transaction(() => {
      for (const job of queued) {
        this.statements.restore.run({
          key: job.key,
          seq: job.seq,
          queuedAt: job.queuedAt,
          startedAt: job.startedAt,
          resumeFrom: job.resumeFrom.toString(),
        });
      }
      for (const { key, answer, finishedAt } of answers) this.recordAnswer(key, answer, finishedAt);
    })();
  }

  answer(key: string): StoredAnswer | null {
    const row = this.statements.answer.get({ key });
    if (row === null) return null;
    return row.nonce !== null ? { nonce: BigInt(row.nonce) } : { error: row.error ?? "failed" };
  }

  /** The queue as it was left, in order. */
  queued(): StoredJob[] {
    return this.statements.queued.all().map((r) => ({
      key: r.key,
      seq: r.seq,
      queuedAt: r.queued_at,
      startedAt: r.started_at,
      resumeFrom: BigInt(r.resume_from),
    }));
  }

  enqueue(key: string, seq: number, queuedAt: number): void {
    this.statements.enqueue.run({ key, seq, queuedAt });
  }

  start(key: string, startedAt: number): void {
    this.statements.start.run({ key, startedAt });
  }

  progress(key: string, resumeFrom: bigint): void {
    this.statements.progress.run({ key, resumeFrom: resumeFrom.toString() });
  }

  /** Moves a job from the queue to the answers, in one transaction. */
  finish(key: string, answer: StoredAnswer, finishedAt: number): void {
    this.db.transaction(() => {
      this.statements.dequeue.run({ key });
      this.recordAnswer(key, answer, finishedAt);
      this.statements.prune.run({ kept: ANSWERS_KEPT });
    })();
  }

  /** Forgets a job, queued or answered; true when there was one. */
  forget(key: string): boolean {
    return this.db.transaction(() => this.statements.dequeue.run({ key }).changes + this.statements.forget.run({ key }).changes > 0)();
  }

  /** One small write, to learn whether the database takes writes again. */
  touch(): void {
    this.db.run("PRAGMA user_version = 1");
  }

  counts(): { done: number; failed: number } {
    return this.statements.counts.get() ?? { done: 0, failed: 0 };
  }

  close(): void {
    this.db.close();
  }

  private recordAnswer(key: string, answer: StoredAnswer, finishedAt: number): void {
    this.statements.record.run({
      key,
      nonce: "nonce" in answer ? answer.nonce.toString() : null,
      error: "error" in answer ? answer.error : null,
      finishedAt,
    });
  }
}

/** The device and inode of the file at `path`, or null when there is none. */
function identityOf(path: string): string | null {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? null : `${stat.dev}:${stat.ino}`;
}
