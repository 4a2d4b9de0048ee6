// The pool's job manager. Ties the queue (the jobs, stored), the head job's nonce space, the connected workers'
// sessions and the proof audit together: every worker searches its own range of the head job, sized to a few
// seconds of the work its checked shares prove; a claimed nonce is checked before anyone hears of it; a worker caught
// sending false work is dropped and everything it reported searched is searched again by others. Knows nothing of
// HTTP or WebSockets: the transport hands it decoded messages and a link to answer through.
import { bigFromBytes, hexFromBig, NONCE_LIMIT, parseNonce, toHex } from "../bytes/hex";
import { expectedHashes, type K2powJob } from "../engine/k2pow-rule";
import type { JobAnswer } from "../jobs/job-api";
import { HISTORY_INTERVAL_SECONDS, type RateHistoryReport } from "../jobs/rate-history";
import type { StoredAnswer, JobStore } from "./job-store";
import { JobQueue, type DatabaseHealth, type QueueEvent, type QueuedJob } from "./job-queue";
import { NonceSpace } from "./nonce-space";
import { PoolActivity, type DropCause, type DroppedWorker, type PoolAnswer } from "./pool-activity";
import {
  EXPECTED_SHARES,
  hashesPerShare,
  MAX_SHARES,
  MIN_CHECKED,
  MIN_RANGE,
  MIN_SHARES,
  ProofAudit,
  proofOf,
  shareTarget,
  type CheckStatus,
  type Checker,
} from "./proof-audit";
import { CLOSE, HEARTBEAT_SECONDS, PROTOCOL_VERSION, type Hello, type WorkerMessage } from "./protocol";
import { systemClock, type Clock } from "./clock";
import { FIRST_RANGE_SECONDS, MESSAGE_LIMIT, RANGE_SECONDS, WorkerSession, type Assignment, type WorkerLink } from "./worker-session";

export interface CoordinatorOptions {
  store: JobStore;
  checker: Checker;
  /** Jobs queued or running at most; a new job beyond that is refused as busy (429). */
  queueSize: number;
  /** A job running longer than this fails with "timed out"; 0: never. */
  jobTimeoutSeconds: number;
  /** Seconds between progress events of the running job; default 30. */
  progressSeconds?: number;
  onEvent?: (event: PoolEvent) => void;
  clock?: Clock;
  /** The nonce space of every job; only tests make it smaller, to reach its end. */
  nonceLimit?: bigint;
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
  | { type: "check-failed"; error: string };

export interface PoolStatus {
  workers: {
    id: number;
    name: string;
    /** Name and connection: what logs, events, the dashboard and its chart call it. */
    label: string;
    remote: string;
    threads: number;
    mode: string;
    connectedSeconds: number;
    /** From checked shares only. */
    hashRate: number | null;
    /** Rejected: outside its range, sent twice, or not below its target; the first one drops the worker. */
    shares: { received: number; checked: number; rejected: number };
    /** Its ranges credited as searched, and of those, proven searched (docs/pool-protocol.md, "Claims and proof"). */
    claims: { ranges: number; proven: number };
    range: { start: string; count: string } | null;
  }[];
  job: {
    key: string;
    seconds: number;
    /** Nonces in ranges reported searched, and of those, proven by checked shares. */
    searched: string;
    proven: string;
    expectedHashes: number;
    progress: number;
    etaSeconds: number | null;
    ranges: number;
  } | null;
  queue: { key: string; state: "running" | "queued"; queuedSeconds: number }[];
  checks: CheckStatus;
  database: DatabaseHealth;
  totals: {
    workers: number;
    hashRate: number;
    queued: number;
    done: number;
    failed: number;
    /** Since the pool started, of all workers. */
    sharesChecked: number;
    sharesRejected: number;
    dropped: number;
  };
  /** Newest first, a few of each. */
  recent: { answers: PoolAnswer[]; dropped: DroppedWorker[] };
}

/** A dropped worker's close code in the words of the metric's label. */
const CAUSE_OF_CODE: Record<number, DropCause> = {
  [CLOSE.invalidWork]: "bad-work",
  [CLOSE.silent]: "silent",
  [CLOSE.workerFailed]: "worker-failed",
};

/** A range not finished in this many times its expected time, and at least MIN_SILENT_MS, drops its worker. */
const SILENT_FACTOR = 6;
const MIN_SILENT_MS = 30_000;
/** How often the resume point of the running job is written at most. */
const SAVE_MS = 5000;
/** Checks of one worker's shares queued at once at most: past that its shares go unchecked until some are done. */
const MAX_CHECKS_PER_WORKER = 2 * EXPECTED_SHARES;

interface Head {
  entry: QueuedJob;
  space: NonceSpace;
  difficulty: bigint;
  lastProgress: number;
  lastSaved: number;
  /** Ranges handed out and not yet settled. */
  ranges: Set<Assignment>;
}

export class Coordinator {
  private readonly queue: JobQueue;
  private readonly audit: ProofAudit;
  private readonly clock: Clock;
  private readonly emit: (event: PoolEvent) => void;
  private readonly timeoutMs: number;
  private readonly progressMs: number;
  private readonly nonceLimit: bigint;
  private readonly sessions = new Map<number, WorkerSession>();
  private readonly activity = new PoolActivity();
  private sharesChecked = 0;
  private sharesRejected = 0;
  private readonly stopClocks: (() => void)[];
  private head: Head | null = null;
  private closing = false;
  private nextSessionId = 1;
  private nextRangeId = 1;

  constructor(options: CoordinatorOptions) {
    this.clock = options.clock ?? systemClock;
    const onEvent = options.onEvent ?? (() => {});
    this.emit = (event) => {
      if (event.type === "done" || event.type === "failed" || event.type === "dropped") this.activity.hear(event, this.clock.now());
      onEvent(event);
    };
    this.timeoutMs = options.jobTimeoutSeconds * 1000;
    this.progressMs = (options.progressSeconds ?? 30) * 1000;
    this.nonceLimit = options.nonceLimit ?? NONCE_LIMIT;
    this.queue = new JobQueue(options.store, options.queueSize, this.clock, this.emit);
    this.audit = new ProofAudit(options.checker, this.clock);
    this.startHead();
    this.stopClocks = [
      this.clock.every(1000, () => this.tick()),
      this.clock.every(HEARTBEAT_SECONDS * 1000, () => this.heartbeat()),
      this.clock.every(HISTORY_INTERVAL_SECONDS * 1000, () => this.sampleRates()),
    ];
  }

  // ---- the HTTP side: post-services and operators ----

  /** post-service's GET /job/...: its answer if finished, else queue it (busy when that cannot be done). */
  request(key: string, job: K2powJob, from?: { address: string; share: number }): JobAnswer {
    const answer = this.queue.request(key, job, from);
    if (answer.kind === "accepted") this.startHead();
    return answer;
  }

  /** DELETE /job/...: stops and forgets a queued or running job, or forgets an answer; false when there was none. */
  cancel(key: string): boolean {
    const running = this.head?.entry.key === key;
    if (running) this.endHead();
    const known = this.queue.has(key);
    const cancelled = this.queue.cancel(key);
    if (known) this.emit({ type: "cancelled", key });
    if (running) this.startHead();
    return cancelled;
  }

  status(): PoolStatus {
    const now = this.clock.now();
    const workers = [...this.sessions.values()].map((s) => ({
      id: s.id,
      name: s.name,
      label: s.label,
      remote: s.link.remote,
      threads: s.threads,
      mode: s.mode,
      connectedSeconds: (now - s.joinedAt) / 1000,
      hashRate: s.provenRate(now),
      shares: { received: s.sharesReceived, checked: s.sharesChecked, rejected: s.sharesRejected },
      claims: { ranges: s.rangesClaimed, proven: s.rangesProven },
      range: s.range === null ? null : { start: s.range.start.toString(), count: s.range.count.toString() },
    }));
    const hashRate = workers.reduce((sum, w) => sum + (w.hashRate ?? 0), 0);
    const head = this.head;
    let job: PoolStatus["job"] = null;
    if (head !== null) {
      const expected = expectedHashes(head.entry.job.difficulty);
      const { claimed, proven } = head.space.searched();
      job = {
        key: head.entry.key,
        seconds: (now - (head.entry.startedAt ?? now)) / 1000,
        searched: claimed.toString(),
        proven: proven.toString(),
        expectedHashes: expected,
        progress: Math.min(1, Number(claimed) / expected),
        etaSeconds: hashRate > 0 ? Math.max(0, expected - Number(claimed)) / hashRate : null,
        ranges: head.ranges.size,
      };
    }
    const jobs = this.queue.jobs();
    const counts = this.queue.counts();
    return {
      workers,
      job,
      queue: jobs.slice(0, 100).map((q) => ({
        key: q.key,
        state: this.head?.entry === q ? "running" : "queued",
        queuedSeconds: (now - q.queuedAt) / 1000,
      })),
      checks: this.audit.status(),
      database: this.queue.health(),
      totals: {
        workers: workers.length,
        hashRate,
        queued: jobs.length,
        done: counts.done,
        failed: counts.failed,
        sharesChecked: this.sharesChecked,
        sharesRejected: this.sharesRejected,
        dropped: this.activity.dropped,
      },
      recent: this.activity.recent(),
    };
  }

  /** The total and per-worker proven hash rate over the last hour, for the dashboard's chart. */
  rateHistory(since?: number): RateHistoryReport {
    return this.activity.rateHistory(since);
  }

  // ---- the worker side ----

  /** A worker admitted by the transport (token and protocol checked): its session id. */
  join(link: WorkerLink, hello: Hello): number {
    const session = new WorkerSession(this.nextSessionId++, hello.name, link, hello.threads, hello.mode, this.clock.now());
    this.sessions.set(session.id, session);
    link.send({ type: "welcome", protocol: PROTOCOL_VERSION, worker: session.id });
    this.emit({ type: "joined", worker: session.label, remote: link.remote, threads: session.threads, mode: session.mode });
    this.assign(session);
    return session.id;
  }

  /** A message from an admitted worker. */
  receive(id: number, message: WorkerMessage): void {
    const session = this.sessions.get(id);
    if (session === undefined || session.gone) return;
    if (!session.allowMessage(this.clock.now())) return this.drop(session, CLOSE.malformed, `over ${MESSAGE_LIMIT} messages a second`);
    if (message.type === "hello") return this.drop(session, CLOSE.malformed, "hello sent twice");
    const range = session.find(message.range);
    if (range === null) {
      // An id already handed out is a late message for a range long ended; a larger one was never given.
      if (message.range < this.nextRangeId) return;
      return this.drop(session, CLOSE.malformed, `range ${message.range} was never given to this worker`);
    }
    switch (message.type) {
      case "share":
        return this.share(session, range, message.nonce);
      case "found":
        return this.found(session, range, message.nonce);
      case "done":
        return this.done(session, range);
      case "failed":
        if (session.range !== range) return;
        return this.drop(session, CLOSE.workerFailed, `it could not search range ${range.id}: ${message.error}`.slice(0, 120));
    }
  }

  /** The worker's connection closed. Its range goes back; what it reported stands unless a check still fails. */
  leave(id: number, reason: string): void {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    this.sessions.delete(id);
    if (!session.gone) this.emit({ type: "left", worker: session.label, reason });
    session.gone = true;
    this.takeBack(session.range);
    this.assignIdle();
  }

  /** Stops the clocks and tells every worker the pool is going. The queue stays in the store. */
  close(): void {
    if (this.head !== null) this.saveProgress(this.head, true);
    this.closing = true;
    for (const stop of this.stopClocks) stop();
    for (const session of [...this.sessions.values()]) {
      session.gone = true;
      session.link.close(CLOSE.shutdown, "the pool is shutting down");
      this.sessions.delete(session.id);
    }
    this.queue.close();
  }

  // ---- what workers report ----

  private share(session: WorkerSession, range: Assignment, text: string): void {
    // A share for a range that ended (a stop crossed it) or was reported is late: nothing to credit, nothing to keep.
    const head = this.headOf(range);
    if (head === null || range.state !== "searching") return;
    const nonce = parseNonce(text);
    if (nonce === null || nonce < range.start || nonce >= range.start + range.count) {
      return this.rejected(session, `share ${text} is outside its range ${range.id}`);
    }
    if (range.shares.has(nonce)) return this.rejected(session, `share ${nonce} sent twice`);
    range.shares.add(nonce);
    session.sharesReceived++;
    if (range.shares.size > MAX_SHARES) {
      return this.caught(session, `range ${range.id} got over ${MAX_SHARES} shares; an honest search yields about ${EXPECTED_SHARES}`);
    }
    // One worker's checks wait in the verifier's queue only so far, whatever it sends.
    const audit = this.audit.share(head.entry.job, nonce, range.shareTarget, session.checking < MAX_CHECKS_PER_WORKER);
    if (audit === null) range.unchecked.push(nonce);
    else this.check(range, nonce, audit.check, audit.sampled);
  }

  /** Follows one share check: a failed one catches the worker; a passed one counts toward its proof and its rate. */
  private check(range: Assignment, nonce: bigint, check: Promise<boolean>, sampled: number | null): void {
    const { session } = range;
    range.checking++;
    session.checking++;
    check
      .then(
        (ok) => {
          if (!ok) return this.rejected(session, `share ${nonce} does not meet its share target`);
          const now = this.clock.now();
          range.checked++;
          session.sharesChecked++;
          this.sharesChecked++;
          // Only randomly sampled shares measure the rate; those checked for a range's proof would bias it.
          if (sampled !== null) session.meter.addShare(range.hashesPerShare / sampled, now);
          // A checked share proves the worker is at work on the range, however slow it is.
          range.deadline = Math.max(range.deadline, now + MIN_SILENT_MS);
        },
        (err: unknown) => this.checkFailed(err),
      )
      .finally(() => {
        range.checking--;
        session.checking--;
        this.settle(range);
      });
  }

  private done(session: WorkerSession, range: Assignment): void {
    if (session.range !== range) return;
    session.leaveRange(range, this.clock.now(), true);
    range.state = "reported";
    session.unsettled.add(range);
    if (range.shares.size < MIN_SHARES) {
      return this.caught(
        session,
        `range ${range.id} reported searched with ${range.shares.size} share(s); an honest search yields about ${EXPECTED_SHARES}`,
      );
    }
    // However thin the sampling, no range is credited before a few of its shares, picked at random, check out.
    const head = this.headOf(range)!;
    while (range.checked + range.checking < MIN_CHECKED && range.unchecked.length > 0) {
      const [nonce] = range.unchecked.splice(Math.floor(Math.random() * range.unchecked.length), 1);
      this.check(range, nonce!, this.audit.recheck(head.entry.job, nonce!, range.shareTarget), null);
    }
    this.settle(range);
    this.assign(session);
  }

  private found(session: WorkerSession, range: Assignment, text: string): void {
    const nonce = parseNonce(text);
    if (nonce === null || nonce < range.start || nonce >= range.start + range.count) {
      return this.caught(session, `nonce ${text} is outside its range ${range.id}`);
    }
    const head = this.headOf(range);
    // An answer for a job already finished or cancelled (it crossed the stop) changes nothing.
    if (head === null || range.state !== "searching") return;
    session.leaveRange(range, this.clock.now(), false);
    range.state = "answered";
    session.unsettled.add(range);
    this.audit.nonce(head.entry.job, nonce).then(
      (ok) => {
        if (!ok) return this.caught(session, `nonce ${nonce} does not meet the job's difficulty`);
        if (this.head !== head) return;
        this.finishHead({ nonce }, session.label);
      },
      (err: unknown) => {
        // Not the worker's fault: its range is searched again rather than its answer taken unchecked.
        this.checkFailed(err);
        session.unsettled.delete(range);
        this.takeBack(range);
        this.assignIdle();
      },
    );
  }

  /** A reported range whose checks are all in is credited to its worker's claim. */
  private settle(range: Assignment): void {
    if (range.state !== "reported" || range.checking > 0 || this.closing) return;
    const { session } = range;
    range.state = "settled";
    session.unsettled.delete(range);
    const head = this.headOf(range);
    if (head === null) return;
    head.ranges.delete(range);
    const proof = proofOf(range, range.shares, range.checked);
    session.rangesClaimed++;
    if (proof.proven) session.rangesProven++;
    head.space.claim(range, session.id, proof);
    this.saveProgress(head, false);
    if (head.space.exhausted()) {
      return this.finishHead({ error: `no valid nonce in the whole nonce space (0..${this.nonceLimit - 1n}): every range was searched and proven` });
    }
    this.assignIdle();
  }

  /** A check that could not run leaves its share unchecked; only while the pool runs is that worth a word. */
  private checkFailed(err: unknown): void {
    if (!this.closing) this.emit({ type: "check-failed", error: (err as Error)?.message ?? String(err) });
  }

  // ---- workers that misbehave ----

  /** A share that is not what its range asked for: counted, and its worker caught. */
  private rejected(session: WorkerSession, reason: string): void {
    session.sharesRejected++;
    this.sharesRejected++;
    this.caught(session, reason);
  }

  /** A worker sent false work: it is dropped, and everything it reported searched in the open job goes back. */
  private caught(session: WorkerSession, reason: string): void {
    if (session.caught) return;
    session.caught = true;
    for (const range of session.unsettled) this.takeBack(range);
    session.unsettled.clear();
    const undone = this.head?.space.undo(session.id) ?? 0n;
    this.drop(session, CLOSE.invalidWork, reason, undone);
  }

  /** Closes a worker's connection with the reason and hands its range on. */
  private drop(session: WorkerSession, code: number, reason: string, undone = 0n): void {
    const wasGone = session.gone;
    session.gone = true;
    this.sessions.delete(session.id);
    this.takeBack(session.range);
    // A worker caught after it left is still named, and its address still penalised by the transport.
    const cause = CAUSE_OF_CODE[code] ?? "protocol";
    this.emit({ type: "dropped", worker: session.label, remote: session.link.remote, cause, reason, undone });
    if (!wasGone || code === CLOSE.invalidWork) session.link.close(code, reason.slice(0, 120));
    this.assignIdle();
  }

  // ---- scheduling ----

  private startHead(): void {
    const entry = this.queue.head();
    if (this.head !== null || entry === null || this.closing) return;
    // A job resumed after a restart waited before its first start, not now.
    const firstStart = entry.startedAt === null;
    this.queue.started(entry);
    const now = this.clock.now();
    this.head = {
      entry,
      space: new NonceSpace(entry.resumeFrom, MIN_RANGE, this.nonceLimit),
      difficulty: bigFromBytes(entry.job.difficulty),
      lastProgress: now,
      lastSaved: now,
      ranges: new Set(),
    };
    this.emit({
      type: "started",
      key: entry.key,
      expectedHashes: expectedHashes(entry.job.difficulty),
      resumeFrom: entry.resumeFrom,
      waitedSeconds: firstStart ? (now - entry.queuedAt) / 1000 : null,
    });
    this.assignIdle();
  }

  /** Ends the head job: every worker on it is stopped. The caller records the outcome and starts the next. */
  private endHead(): void {
    const head = this.head;
    if (head === null) return;
    this.saveProgress(head, true);
    this.head = null;
    for (const range of head.ranges) {
      if (range.state === "searching") {
        range.session.link.send({ type: "stop", range: range.id });
        range.session.leaveRange(range, this.clock.now(), false);
      }
      range.session.unsettled.delete(range);
      range.state = "ended";
    }
  }

  /** Records the head job's outcome, stops its workers and starts the next job; `by` is the worker that found it. */
  private finishHead(answer: StoredAnswer, by = ""): void {
    const head = this.head;
    if (head === null) return;
    const { key } = head.entry;
    const seconds = (this.clock.now() - (head.entry.startedAt ?? this.clock.now())) / 1000;
    const { claimed } = head.space.searched();
    this.endHead();
    this.queue.finish(key, answer);
    if ("nonce" in answer) this.emit({ type: "done", key, nonce: answer.nonce, worker: by, searched: claimed, seconds });
    else this.emit({ type: "failed", key, error: answer.error, seconds });
    this.startHead();
  }

  private assignIdle(): void {
    for (const session of this.sessions.values()) this.assign(session);
  }

  /** Hands an idle worker the next range of the head job, sized to the work it has proven it does. */
  private assign(session: WorkerSession): void {
    const head = this.head;
    // A worker's next range waits until its last one is checked: a worker cannot run ahead of the proof of its work.
    if (head === null || session.range !== null || session.unsettled.size > 0 || session.gone || this.closing) return;
    const now = this.clock.now();
    const rate = session.sizingRate(now);
    const seconds = session.rangesDone === 0 ? FIRST_RANGE_SECONDS : RANGE_SECONDS;
    const span = head.space.take(session.id, BigInt(Math.round(rate * seconds)), this.sessions.size === 1);
    if (span === null) return;
    const target = shareTarget(span.count, head.difficulty);
    const range: Assignment = {
      ...span,
      id: this.nextRangeId++,
      key: head.entry.key,
      session,
      sentAt: now,
      // Paced at no less than the first guess, so a rate the proof holds near zero cannot stretch it without end.
      deadline: now + Math.max(MIN_SILENT_MS, (Number(span.count) / Math.max(rate, session.firstRate)) * 1000 * SILENT_FACTOR),
      shareTarget: target,
      hashesPerShare: hashesPerShare(target, head.difficulty),
      shares: new Set(),
      unchecked: [],
      checking: 0,
      checked: 0,
      state: "searching",
    };
    head.ranges.add(range);
    session.begin(range);
    const { job } = head.entry;
    session.link.send({
      type: "work",
      range: range.id,
      job: { miner: toHex(job.miner), nonceGroup: job.nonceGroup, challenge: toHex(job.challenge), difficulty: toHex(job.difficulty) },
      start: span.start.toString(),
      count: span.count.toString(),
      shareTarget: hexFromBig(target, 32),
    });
  }

  /** A range not searched to the end goes back to its job, to be handed out again. */
  private takeBack(range: Assignment | null): void {
    if (range === null || range.state === "ended" || range.state === "settled") return;
    if (range.session.range === range) range.session.leaveRange(range, this.clock.now(), false);
    range.state = "settled";
    const head = this.headOf(range);
    if (head === null) return;
    head.ranges.delete(range);
    head.space.giveBack(range);
  }

  /** The head job, when `range` belongs to it. */
  private headOf(range: Assignment): Head | null {
    return this.head !== null && this.head.entry.key === range.key && range.state !== "ended" ? this.head : null;
  }

  private saveProgress(head: Head, now: boolean): void {
    const at = this.clock.now();
    if (!now && at - head.lastSaved < SAVE_MS) return;
    head.lastSaved = at;
    this.queue.progress(head.entry, head.space.provenBelow());
  }

  // ---- clocks ----

  private tick(): void {
    const now = this.clock.now();
    for (const session of [...this.sessions.values()]) {
      const range = session.range;
      if (range !== null && now > range.deadline) {
        this.drop(session, CLOSE.silent, `range ${range.id} not finished in ${Math.round((now - range.sentAt) / 1000)} s`);
      }
    }
    const head = this.head;
    if (head === null) return;
    const ran = now - (head.entry.startedAt ?? now);
    if (this.timeoutMs > 0 && ran > this.timeoutMs) {
      return this.finishHead({ error: `timed out after ${Math.round(ran / 1000)} s (the pool's --job-timeout)` });
    }
    this.saveProgress(head, false);
    if (now - head.lastProgress >= this.progressMs) {
      head.lastProgress = now;
      const { job, totals } = this.status();
      const { claimed, proven } = head.space.searched();
      this.emit({
        type: "progress",
        key: head.entry.key,
        searched: claimed,
        proven,
        seconds: ran / 1000,
        hashRate: totals.hashRate,
        etaSeconds: job?.etaSeconds ?? null,
      });
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
