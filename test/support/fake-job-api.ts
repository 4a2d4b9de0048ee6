// A stand-in for the worker's job manager at the job API seam (src/jobs/job-api.ts), so HTTP tests run the real
// server on loopback without RandomX: a job runs until the test finishes it, one at a time, and its answer is kept;
// every call is recorded; status, rate history and events are the test's to set and send.
import type { K2powJob } from "../../src/engine/k2pow-rule";
import { createServer, type ServerOptions } from "../../src/http/server";
import { EventFeed } from "../../src/jobs/event-feed";
import type { Asker, JobAnswer } from "../../src/jobs/job-api";
import { HISTORY_INTERVAL_SECONDS, HISTORY_WINDOW_SECONDS, type RateHistoryReport, type RatePoint } from "../../src/jobs/rate-history";
import type { JobEvent, WorkerJobApi } from "../../src/jobs/worker-api";
import type { WorkerStatus } from "../../src/wire/status";

/** A light-mode worker with nothing done yet. */
export const IDLE: WorkerStatus = {
  engine: { phase: "ready", mode: "light", pages: "plain", hugePageBytes: null, threads: 1, threadsReason: "1 thread, as configured", error: null },
  dataset: { state: "none" },
  hashRate: 0,
  hashesTotal: 0,
  job: null,
  jobs: { done: 0, failed: 0, remembered: 0 },
  recent: { jobs: [], errors: [] },
};

export class FakeJobApi implements WorkerJobApi {
  readonly requests: { key: string; job: K2powJob; from: Asker }[] = [];
  readonly cancels: string[] = [];
  /** What status() gives; tests replace it. */
  current: WorkerStatus = IDLE;
  /** What a request for another job gets while one runs. */
  busy: Extract<JobAnswer, { kind: "busy" }> = { kind: "busy" };
  /** When set, status() throws this, as a domain fault the server must not leak a stack trace for. */
  statusFault: Error | null = null;
  /** What rateHistory() gives, filtered by its `since`; tests replace it. */
  points: RatePoint[] = [];
  private readonly events = new EventFeed<JobEvent>();
  private readonly answers = new Map<string, JobAnswer>();
  private running: string | null = null;

  request(key: string, job: K2powJob, from: Asker): JobAnswer {
    this.requests.push({ key, job, from });
    const answer = this.answers.get(key);
    if (answer !== undefined) return answer;
    if (this.running === key) return { kind: "accepted" };
    if (this.running !== null) return this.busy;
    this.running = key;
    return { kind: "accepted" };
  }

  cancel(key: string): boolean {
    this.cancels.push(key);
    if (this.running === key) {
      this.running = null;
      return true;
    }
    return this.answers.delete(key);
  }

  status(): WorkerStatus {
    if (this.statusFault !== null) throw this.statusFault;
    return this.current;
  }

  rateHistory(since = -Infinity): RateHistoryReport {
    return { intervalSeconds: HISTORY_INTERVAL_SECONDS, windowSeconds: HISTORY_WINDOW_SECONDS, points: this.points.filter((p) => p.at > since) };
  }

  subscribe(listener: (event: JobEvent) => void): void {
    this.events.subscribe(listener);
  }

  /** Ends the running job `key` with a nonce or an error, kept for later requests, and tells the listeners. */
  finish(key: string, outcome: { nonce: bigint } | { error: string }, seconds = 1): void {
    if (this.running !== key) throw new Error(`the fake is not running ${key}`);
    this.running = null;
    if ("nonce" in outcome) {
      this.answers.set(key, { kind: "done", nonce: outcome.nonce });
      this.events.emit({ type: "done", key, nonce: outcome.nonce, hashes: 1n, seconds, searchSeconds: seconds });
    } else {
      this.answers.set(key, { kind: "failed", error: outcome.error });
      this.events.emit({ type: "failed", key, error: outcome.error, seconds });
    }
  }
}

/** The real worker server over a FakeJobApi, listening on `hostname` (default loopback) at a free port. */
export function serveFake(options: Partial<Omit<ServerOptions, "jobs" | "info">> & { hostname?: string } = {}) {
  const { hostname = "127.0.0.1", ...rest } = options;
  const api = new FakeJobApi();
  const server = createServer({ jobs: api, info: { version: "test", target: "test-target", librandomx: "1.2.1" }, ...rest });
  const listening = server.listen(hostname, 0);
  return {
    api,
    server,
    base: `http://127.0.0.1:${listening.port}`,
    stop: () => listening.stop(true),
  };
}
