// The state of the worker's work: one job at a time, answers remembered, progress and counts for status. Drives an
// injected engine, so HTTP tests can use a light-mode engine and the HTTP layer never touches the engine itself.
import type { EngineStatus, SearchOptions, SearchResult } from "../engine/engine";
import { EngineError, SearchCancelled } from "../engine/engine-error";
import { expectedHashes, type K2powJob } from "../engine/k2pow-rule";
import { HashRateMeter } from "./hash-rate";

/** What the job manager needs of an engine. */
export interface JobEngine {
  search(job: K2powJob, options?: SearchOptions): Promise<SearchResult>;
  status(): EngineStatus;
}

/** The manager's answer to a request for a job, which the HTTP layer turns into a status code. */
export type JobAnswer =
  | { kind: "accepted" } // new, or still running
  | { kind: "done"; nonce: bigint }
  | { kind: "failed"; error: string }
  | { kind: "busy"; reason?: string; cause?: BusyCause }; // another job is running, or (the pool) it cannot queue one

/** Who asks for a job: the peer's IP address, and how many of the pool's queued jobs that address may hold. */
export interface Asker {
  address: string;
  share: number;
}

/** Why the pool cannot queue a job: its queue is full, or the asking address holds its share of it. */
export type BusyCause = "queue-full" | "queue-share";

export type JobEvent =
  | { type: "started"; key: string; expectedHashes: number }
  | { type: "progress"; key: string; hashes: bigint; seconds: number; hashRate: number; expectedHashes: number; etaSeconds: number | null }
  | { type: "done"; key: string; nonce: bigint; hashes: bigint; seconds: number; searchSeconds: number }
  | { type: "retrying"; key: string; error: string; attempt: number }
  | { type: "failed"; key: string; error: string; seconds: number };

export interface JobManagerOptions {
  /** How many finished jobs' answers are kept; the oldest go first. */
  remember?: number;
  /** How often a running job reports progress. */
  progressMs?: number;
  /** A job running longer fails with "timed out" and the worker takes the next; 0 or absent: never. */
  jobTimeoutSeconds?: number;
  onEvent?: (event: JobEvent) => void;
}

export interface JobsStatus {
  hashRate: number;
  hashes: bigint;
  job: {
    key: string;
    state: "waiting-for-engine" | "running";
    seconds: number;
    hashes: bigint;
    expectedHashes: number;
    etaSeconds: number | null;
  } | null;
  done: number;
  failed: number;
  remembered: number;
}

type Answer = { nonce: bigint } | { error: string };

/** Searches per job when the engine says a failure may pass (a search thread died and was replaced). */
const ATTEMPTS = 3;

interface Running {
  key: string;
  started: number;
  expectedHashes: number;
  abort: AbortController;
  finished: Promise<void>;
}

export class JobManager {
  private readonly answers = new Map<string, Answer>();
  private readonly remember: number;
  private readonly onEvent: (event: JobEvent) => void;
  private readonly meter = new HashRateMeter();
  private readonly timers: ReturnType<typeof setInterval>[];
  private readonly timeoutMs: number;
  private current: Running | null = null;
  private done = 0;
  private failed = 0;
  private closed = false;

  constructor(
    private readonly engine: JobEngine,
    options: JobManagerOptions = {},
  ) {
    this.remember = options.remember ?? 100_000;
    this.onEvent = options.onEvent ?? (() => {});
    this.timeoutMs = (options.jobTimeoutSeconds ?? 0) * 1000;
    this.timers = [
      setInterval(() => this.meter.sample(this.engine.status().hashes), 1000),
      setInterval(() => this.reportProgress(), options.progressMs ?? 30_000),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** Answers a request for the job named `key`, starting it when the worker is free. Never throws. */
  request(key: string, job: K2powJob): JobAnswer {
    const answer = this.answers.get(key);
    if (answer !== undefined) return "nonce" in answer ? { kind: "done", nonce: answer.nonce } : { kind: "failed", error: answer.error };
    if (this.current?.key === key) return { kind: "accepted" };
    if (this.current !== null || this.closed) return { kind: "busy" };
    this.start(key, job);
    return { kind: "accepted" };
  }

  /**
   * DELETE /job/...: stops the running job (its answer is not remembered) once its search has stopped, or forgets
   * a remembered answer; false when there was neither. While the dataset builds, a job stops when the build ends.
   */
  async cancel(key: string): Promise<boolean> {
    const current = this.current;
    if (current?.key === key) {
      current.abort.abort();
      await current.finished;
      return true;
    }
    return this.answers.delete(key);
  }

  status(): JobsStatus {
    const engine = this.engine.status();
    const rate = this.meter.rate();
    const current = this.current;
    let job: JobsStatus["job"] = null;
    if (current !== null) {
      const hashes = engine.searching?.hashes ?? 0n;
      job = {
        key: current.key,
        state: engine.searching ? "running" : "waiting-for-engine",
        seconds: (performance.now() - current.started) / 1000,
        hashes,
        expectedHashes: current.expectedHashes,
        etaSeconds: engine.searching ? eta(current.expectedHashes, hashes, rate) : null,
      };
    }
    return { hashRate: rate, hashes: engine.hashes, job, done: this.done, failed: this.failed, remembered: this.answers.size };
  }

  /** Stops the running job (its answer is not remembered) and takes no more. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.current?.abort.abort();
    await this.current?.finished;
  }

  private start(key: string, job: K2powJob): void {
    const abort = new AbortController();
    const started = performance.now();
    const expected = expectedHashes(job.difficulty);
    const seconds = () => (performance.now() - started) / 1000;
    let timedOut = false;
    const timer =
      this.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            abort.abort();
          }, this.timeoutMs)
        : undefined;
    const fail = (error: string) => {
      this.keep(key, { error });
      this.failed++;
      this.onEvent({ type: "failed", key, error, seconds: seconds() });
    };
    const attempt = (n: number): Promise<void> =>
      this.engine.search(job, { signal: abort.signal }).then(
        (result) => {
          this.keep(key, { nonce: result.nonce });
          this.done++;
          this.onEvent({ type: "done", key, nonce: result.nonce, hashes: result.hashes, seconds: seconds(), searchSeconds: result.seconds });
        },
        (err: Error) => {
          // Answered 500 as the pool answers its timeouts: post-service fails this proof rather than wait forever.
          if (err instanceof SearchCancelled) {
            if (timedOut && !this.closed) fail(`timed out after ${Math.round(seconds())} s (the worker's --job-timeout)`);
            return;
          }
          if (err instanceof EngineError && err.retryable && n < ATTEMPTS && !this.closed) {
            this.onEvent({ type: "retrying", key, error: err.message, attempt: n + 1 });
            return attempt(n + 1);
          }
          fail(err.message);
        },
      );
    const finished = attempt(1).finally(() => {
      clearTimeout(timer);
      this.current = null;
    });
    this.current = { key, started, expectedHashes: expected, abort, finished };
    this.onEvent({ type: "started", key, expectedHashes: expected });
  }

  private keep(key: string, answer: Answer): void {
    this.answers.set(key, answer);
    if (this.answers.size > this.remember) this.answers.delete(this.answers.keys().next().value!);
  }

  private reportProgress(): void {
    const searching = this.engine.status().searching;
    if (this.current === null || searching === null) return;
    const hashRate = this.meter.rate();
    this.onEvent({
      type: "progress",
      key: this.current.key,
      hashes: searching.hashes,
      seconds: searching.seconds,
      hashRate,
      expectedHashes: this.current.expectedHashes,
      etaSeconds: eta(this.current.expectedHashes, searching.hashes, hashRate),
    });
  }
}

/** Seconds until the expected hashes are done at this rate; null before there is a rate. */
function eta(expectedHashes: number, hashes: bigint, hashRate: number): number | null {
  return hashRate > 0 ? Math.max(expectedHashes - Number(hashes), 0) / hashRate : null;
}
