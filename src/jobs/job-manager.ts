// The state of the worker's work: one job at a time, answers remembered, progress and counts for status. Drives an
// injected engine, and is all the HTTP layer sees of the worker, through the job API seam (worker-api.ts).
import { toHex } from "../bytes/hex";
import type { EngineStatus, SearchOptions, SearchResult } from "../engine/engine";
import { EngineError, SearchCancelled } from "../engine/engine-error";
import { expectedHashes, type K2powJob } from "../engine/k2pow-rule";
import { engineReport } from "./engine-report";
import { EventFeed } from "./event-feed";
import { HashRateMeter } from "./hash-rate";
import type { JobAnswer } from "./job-api";
import { HISTORY_INTERVAL_SECONDS, RateHistory, type RateHistoryReport } from "./rate-history";
import { RecentList } from "./recent-list";
import type { ErrorNote, FinishedJob, WorkerJob, WorkerStatus } from "../wire/status";
import type { JobEvent, WorkerJobApi } from "./worker-api";

/** What the job manager needs of an engine. */
export interface JobEngine {
  search(job: K2powJob, options?: SearchOptions): Promise<SearchResult>;
  status(): EngineStatus;
}

export interface JobManagerOptions {
  /** How many finished jobs' answers are kept; the oldest go first. */
  remember?: number;
  /** How often a running job reports progress. */
  progressMs?: number;
  /** A job running longer fails with "timed out" and the worker takes the next; 0 or absent: never. */
  jobTimeoutSeconds?: number;
}

type Answer = { nonce: bigint } | { error: string };

/** Searches per job when the engine says a failure may pass (a search thread died and was replaced). */
const ATTEMPTS = 3;

interface Running {
  key: string;
  job: K2powJob;
  started: number;
  expectedHashes: number;
  abort: AbortController;
  finished: Promise<void>;
}

export class JobManager implements WorkerJobApi {
  private readonly answers = new Map<string, Answer>();
  private readonly remember: number;
  private readonly events = new EventFeed<JobEvent>();
  private readonly meter = new HashRateMeter();
  private readonly history = new RateHistory();
  private readonly finished = new RecentList<FinishedJob>();
  private readonly errors = new RecentList<ErrorNote>();
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
    this.timeoutMs = (options.jobTimeoutSeconds ?? 0) * 1000;
    this.timers = [
      setInterval(() => this.meter.sample(this.engine.status().hashes), 1000),
      setInterval(() => this.reportProgress(), options.progressMs ?? 30_000),
      setInterval(() => this.history.add({ at: Date.now(), total: this.meter.rate() }), HISTORY_INTERVAL_SECONDS * 1000),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** Hears every job's start, progress, retries and outcome. */
  subscribe(listener: (event: JobEvent) => void): void {
    this.events.subscribe(listener);
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

  status(): WorkerStatus {
    const engine = this.engine.status();
    const rate = this.meter.rate();
    const current = this.current;
    let job: WorkerJob | null = null;
    if (current !== null) {
      const hashes = engine.searching?.hashes ?? 0n;
      const { miner, nonceGroup, challenge, difficulty } = current.job;
      job = {
        miner: toHex(miner),
        nonceGroup,
        challenge: toHex(challenge),
        difficulty: toHex(difficulty),
        state: engine.searching ? "running" : "waiting-for-engine",
        seconds: (performance.now() - current.started) / 1000,
        hashes: Number(hashes),
        expectedHashes: current.expectedHashes,
        etaSeconds: engine.searching ? eta(current.expectedHashes, hashes, rate) : null,
      };
    }
    return {
      ...engineReport(engine),
      hashRate: rate,
      hashesTotal: Number(engine.hashes),
      job,
      jobs: { done: this.done, failed: this.failed, remembered: this.answers.size },
      recent: { jobs: this.finished.items(), errors: this.errors.items() },
    };
  }

  rateHistory(since?: number): RateHistoryReport {
    return this.history.since(since);
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
      const [at, took] = [Date.now(), seconds()];
      this.finished.add({ key, outcome: "failed", nonce: null, error, seconds: took, hashes: null, hashRate: null, finishedAt: at });
      this.errors.add({ at, key, message: error });
      this.events.emit({ type: "failed", key, error, seconds: took });
    };
    const attempt = (n: number): Promise<void> =>
      this.engine.search(job, { signal: abort.signal }).then(
        (result) => {
          this.keep(key, { nonce: result.nonce });
          this.done++;
          const took = seconds();
          this.finished.add({
            key,
            outcome: "done",
            nonce: result.nonce,
            error: null,
            seconds: took,
            hashes: Number(result.hashes),
            hashRate: result.seconds > 0 ? Number(result.hashes) / result.seconds : null,
            finishedAt: Date.now(),
          });
          this.events.emit({ type: "done", key, nonce: result.nonce, hashes: result.hashes, seconds: took, searchSeconds: result.seconds });
        },
        (err: Error) => {
          // Answered 500 as the pool answers its timeouts: post-service fails this proof rather than wait forever.
          if (err instanceof SearchCancelled) {
            if (timedOut && !this.closed) fail(`timed out after ${Math.round(seconds())} s (the worker's --job-timeout)`);
            return;
          }
          if (err instanceof EngineError && err.retryable && n < ATTEMPTS && !this.closed) {
            this.errors.add({ at: Date.now(), key, message: `search retried (attempt ${n + 1} of ${ATTEMPTS}): ${err.message}` });
            this.events.emit({ type: "retrying", key, error: err.message, attempt: n + 1 });
            return attempt(n + 1);
          }
          fail(err.message);
        },
      );
    const finished = attempt(1).finally(() => {
      clearTimeout(timer);
      this.current = null;
    });
    this.current = { key, job, started, expectedHashes: expected, abort, finished };
    this.events.emit({ type: "started", key, expectedHashes: expected });
  }

  private keep(key: string, answer: Answer): void {
    this.answers.set(key, answer);
    if (this.answers.size > this.remember) this.answers.delete(this.answers.keys().next().value!);
  }

  private reportProgress(): void {
    const searching = this.engine.status().searching;
    if (this.current === null || searching === null) return;
    const hashRate = this.meter.rate();
    this.events.emit({
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
