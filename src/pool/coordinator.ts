// The pool's front: what post-services ask (jobs, cancels, status), what workers do (join, send, leave) and the
// clock's ticks, each routed to the module whose rule it is: the queue (job-queue.ts), which worker searches what
// (scheduler.ts, over running-job.ts, nonce-space.ts and range.ts), what workers report and who is dropped
// (work-reports.ts, over proof-audit.ts), /status (pool-status.ts). Knows nothing of HTTP or WebSockets: the
// transport (src/http/worker-sockets.ts) hands it decoded messages and a link to answer through.
import { NONCE_LIMIT } from "../bytes/hex";
import type { K2powJob } from "../engine/k2pow-rule";
import { EventFeed } from "../jobs/event-feed";
import type { Events, JobAnswer } from "../jobs/job-api";
import { HISTORY_INTERVAL_SECONDS, type RateHistoryReport } from "../jobs/rate-history";
import type { PoolStatus, WorkerPage } from "../wire/status";
import { systemClock, type Clock } from "./clock";
import type { JobStore } from "./job-store";
import { JobQueue, type QueueEvent } from "./job-queue";
import { PoolActivity, type DropCause } from "./pool-activity";
import { poolStatus } from "./pool-status";
import { workerPage, type WorkerQuery } from "./worker-list";
import { ProofAudit, type Checker } from "./proof-audit";
import { CLOSE, HEARTBEAT_SECONDS, PROTOCOL_VERSION, type Hello, type WorkerMessage } from "./protocol";
import { Scheduler } from "./scheduler";
import { WorkReports } from "./work-reports";
import { WorkerSession, type WorkerLink } from "./worker-session";

export type { PoolStatus } from "../wire/status";

export interface CoordinatorOptions {
  /** Handed over: the pool closes it (or the one it made in its place, should the file be lost) on close. */
  store: JobStore;
  checker: Checker;
  /** Jobs queued or running at most; a new job beyond that is refused as busy (429). */
  queueSize: number;
  /** A job running longer than this fails with "timed out"; 0: never. */
  jobTimeoutSeconds: number;
  /** Seconds between progress events of the running job; default 30. */
  progressSeconds?: number;
  clock?: Clock;
  /** The nonce space of every job; only tests make it smaller, to reach its end. */
  nonceLimit?: bigint;
  /** Draws in [0, 1) for which shares are checked; seeded where a run must repeat (bench/pool-fleet.ts). */
  random?: () => number;
}

export type PoolEvent =
  | QueueEvent
  | { type: "started"; key: string; expectedHashes: number; resumeFrom: bigint; waitedSeconds: number | null }
  | { type: "progress"; key: string; searched: bigint; proven: bigint; seconds: number; hashRate: number; etaSeconds: number | null }
  | { type: "done"; key: string; nonce: bigint; worker: string; searched: bigint; seconds: number }
  | { type: "failed"; key: string; error: string; seconds: number }
  | { type: "cancelled"; key: string }
  | { type: "joined"; worker: string; remote: string; threads: number; mode: string }
  | { type: "left"; worker: string; reason: string }
  | { type: "dropped"; worker: string; remote: string; cause: DropCause; reason: string; undone: bigint }
  | { type: "check-failed"; error: string }
  | { type: "rule-broken"; error: string };

/** Routes what happens to the pool to the rule it concerns; decides nothing itself. */
export class Coordinator implements Events<PoolEvent> {
  private readonly queue: JobQueue;
  private readonly audit: ProofAudit;
  private readonly clock: Clock;
  private readonly events = new EventFeed<PoolEvent>();
  private readonly timeoutMs: number;
  private readonly progressMs: number;
  private readonly sessions = new Map<number, WorkerSession>();
  private readonly activity = new PoolActivity();
  private readonly scheduler: Scheduler;
  private readonly reports: WorkReports;
  private stopClocks: (() => void)[] = [];
  private closing = false;
  private nextSessionId = 1;

  constructor(options: CoordinatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.jobTimeoutSeconds * 1000;
    this.progressMs = (options.progressSeconds ?? 30) * 1000;
    this.queue = new JobQueue(options.store, options.queueSize, this.clock, this.emit);
    const random = options.random ?? Math.random;
    this.audit = new ProofAudit(options.checker, this.clock, random);
    const parts = { clock: this.clock, sessions: this.sessions, emit: this.emit };
    this.scheduler = new Scheduler({ ...parts, queue: this.queue, nonceLimit: options.nonceLimit ?? NONCE_LIMIT, checkCapacity: () => options.checker.capacity() });
    this.reports = new WorkReports({ ...parts, audit: this.audit, scheduler: this.scheduler, closing: () => this.closing, random });
  }

  /** Hears every event from the next one on; subscribe before `start` to hear a stored job resume. */
  subscribe(listener: (event: PoolEvent) => void): void {
    this.events.subscribe(listener);
  }

  /** Starts the clocks and the queue's first job (one stored by an earlier run resumes). */
  start(): void {
    if (this.stopClocks.length > 0 || this.closing) return;
    this.stopClocks = [
      this.clock.every(1000, () => this.tick()),
      this.clock.every(HEARTBEAT_SECONDS * 1000, () => this.heartbeat()),
      this.clock.every(HISTORY_INTERVAL_SECONDS * 1000, () => this.sampleRates()),
    ];
    this.scheduler.open();
  }

  // ---- the HTTP side: post-services and operators ----

  /** post-service's GET /job/...: its answer if finished, else queue it (busy when that cannot be done). */
  request(key: string, job: K2powJob, from?: { address: string; share: number }): JobAnswer {
    const answer = this.queue.request(key, job, from);
    if (answer.kind === "accepted") this.scheduler.startNext();
    return answer;
  }

  /** DELETE /job/...: stops and forgets a queued or running job, or forgets an answer; false when there was none. */
  cancel(key: string): boolean {
    const running = this.scheduler.job?.key === key;
    if (running) this.scheduler.endRunning();
    const known = this.queue.has(key);
    const cancelled = this.queue.cancel(key);
    if (known) this.emit({ type: "cancelled", key });
    if (running) this.scheduler.startNext();
    return cancelled;
  }

  status(): PoolStatus {
    return poolStatus({
      now: this.clock.now(),
      sessions: this.sessions.values(),
      running: this.scheduler.job,
      queue: this.queue,
      checks: this.audit.status(this.reports.laterChecks),
      activity: this.activity,
      shares: { checked: this.reports.sharesChecked, rejected: this.reports.sharesRejected },
      claims: { ranges: this.reports.claims, proven: this.reports.claimsProven },
    });
  }

  /** GET /status/workers: a page of the connected workers. */
  workerPage(query: WorkerQuery): WorkerPage {
    return workerPage(this.sessions.values(), this.clock.now(), query);
  }

  /** The total proven hash rate over the last hour (and each worker's, up to 24), for the dashboard's chart. */
  rateHistory(since?: number): RateHistoryReport {
    return this.activity.rateHistory(since);
  }

  // ---- the worker side ----

  /** A worker admitted by the transport (token and protocol checked): its session id. */
  join(link: WorkerLink, hello: Hello): number {
    const record = this.reports.recordFor(link.address);
    const session = new WorkerSession(this.nextSessionId++, hello.name, link, hello.threads, hello.mode, this.clock.now(), record);
    this.sessions.set(session.id, session);
    link.send({ type: "welcome", protocol: PROTOCOL_VERSION, worker: session.id });
    this.emit({ type: "joined", worker: session.label, remote: link.remote, threads: session.threads, mode: session.mode });
    this.scheduler.assign(session);
    return session.id;
  }

  /** A message from an admitted worker. */
  receive(id: number, message: WorkerMessage): void {
    const session = this.sessions.get(id);
    if (session === undefined || session.gone) return;
    const { reports } = this;
    if (!session.allowMessage(this.clock.now())) return reports.drop(session, "protocol", `over ${session.messageLimit} messages a second`);
    if (message.type === "hello") return reports.drop(session, "protocol", "hello sent twice");
    const range = session.find(message.range);
    if (range === null) {
      // An id already handed out is a late message for a range long ended; a larger one was never given.
      if (this.scheduler.handedOut(message.range)) return;
      return reports.drop(session, "protocol", `range ${message.range} was never given to this worker`);
    }
    switch (message.type) {
      case "share":
        return reports.share(session, range, message.nonce);
      case "found":
        return reports.found(session, range, message.nonce);
      case "done":
        return reports.done(session, range);
      case "failed":
        if (session.range !== range) return;
        return reports.drop(session, "worker-failed", `it could not search range ${range.id}: ${message.error}`.slice(0, 120));
    }
  }

  /** A message from an admitted worker that could not be read (`code` says how): dropped and held off. */
  broken(id: number, code: number, reason: string): void {
    const session = this.sessions.get(id);
    if (session !== undefined && !session.gone) this.reports.drop(session, "protocol", reason, { code });
  }

  /** The worker's connection closed. Its range goes back; what it reported stands unless a check still fails. */
  leave(id: number, reason: string): void {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    this.sessions.delete(id);
    session.gone = true;
    this.emit({ type: "left", worker: session.label, reason });
    this.reports.ended(session);
    this.scheduler.takeBack(session.range);
    this.scheduler.assignIdle();
  }

  /** Stops the clocks, tells every worker the pool is going and closes the store; the queue stays in it. */
  close(): void {
    this.scheduler.close();
    this.reports.close();
    this.closing = true;
    for (const stop of this.stopClocks) stop();
    for (const session of [...this.sessions.values()]) {
      session.gone = true;
      session.link.close(CLOSE.shutdown, "the pool is shutting down");
      this.sessions.delete(session.id);
    }
    this.queue.close();
  }

  private readonly emit = (event: PoolEvent): void => {
    if (event.type === "done" || event.type === "failed" || event.type === "dropped") this.activity.hear(event, this.clock.now());
    this.events.emit(event);
  };

  // ---- clocks ----

  /** Every second: workers silent past their range's deadline go, a job past its time fails, progress is told. */
  private tick(): void {
    const now = this.clock.now();
    for (const session of [...this.sessions.values()]) {
      const range = session.range;
      if (range !== null && now > range.deadline) {
        this.reports.drop(session, "silent", `range ${range.id} not finished in ${Math.round((now - range.sentAt) / 1000)} s`);
      }
    }
    const job = this.scheduler.job;
    if (job === null) return;
    const ran = job.seconds();
    if (this.timeoutMs > 0 && ran * 1000 > this.timeoutMs) {
      return this.scheduler.finish({ error: `timed out after ${Math.round(ran)} s (the pool's --job-timeout)` });
    }
    job.save(false);
    if (job.progressDue(this.progressMs)) {
      let hashRate = 0;
      for (const session of this.sessions.values()) hashRate += session.provenRate(now) ?? 0;
      const { claimed, proven } = job.searched();
      this.emit({ type: "progress", key: job.key, searched: claimed, proven, seconds: ran, hashRate, etaSeconds: job.status(hashRate).etaSeconds });
    }
  }

  private sampleRates(): void {
    const now = this.clock.now();
    this.activity.sample(now, [...this.sessions.values()].map((s) => ({ label: s.label, hashRate: s.provenRate(now) })));
  }

  private heartbeat(): void {
    for (const session of this.sessions.values()) session.link.send({ type: "heartbeat" });
  }
}
