// The pool's job manager: a FIFO queue of k2pow jobs, stored as it changes; every connected worker on the head job,
// each searching its own range of the nonce space sized to a few seconds of its work; shares checked to learn each
// worker's real rate; a claimed nonce checked with one hash before it is recorded. Knows nothing of HTTP or
// WebSockets: the transport hands it decoded messages and a link to answer through.
import { timingSafeEqual, createHash } from "node:crypto";
import { expectedHashes, hashInput, meetsDifficulty, NONCE_LIMIT, type K2powJob } from "../engine/k2pow-rule";
import type { JobAnswer } from "../jobs/job-manager";
import { jobOfKey } from "../jobs/job-params";
import type { JobStore, StoredAnswer } from "./job-store";
import { CLOSE, HEARTBEAT_SECONDS, nonceOf, PROTOCOL_VERSION, targetHex, type Hello, type PoolMessage, type WorkerMessage } from "./protocol";
import { ShareMeter, shareTargetFor } from "./share-meter";

/** How the pool reaches one connected worker. */
export interface WorkerLink {
  send(message: PoolMessage): void;
  close(code: number, reason: string): void;
  /** Where it connects from, for logs and status. */
  readonly remote: string;
}

export interface Verifier {
  /** The RandomX hash of a 48-byte input. */
  hash(input: Uint8Array): Uint8Array;
}

export interface CoordinatorOptions {
  store: JobStore;
  verifier: Verifier;
  token: string;
  /** Jobs queued or running at most; a new job beyond that is refused as busy (429). */
  queueSize: number;
  /** A job running longer than this fails with "timed out"; 0: never. */
  jobTimeoutSeconds: number;
  onEvent?: (event: PoolEvent) => void;
  /** Tests shorten the pool's clocks. */
  tuning?: Partial<Tuning>;
}

export interface Tuning {
  /** Seconds of a worker's work per range. */
  rangeSeconds: number;
  /** Seconds between shares that each worker's share target aims at. */
  shareSeconds: number;
  /** How often share targets are re-evaluated. */
  adjustSeconds: number;
  /** A range not finished in this many times its expected duration (and at least minSilentSeconds) drops its worker. */
  silentFactor: number;
  minSilentSeconds: number;
  /** Shares the pool can afford to check per second, all workers together (one light-mode hash each). */
  checksPerSecond: number;
  /** Seconds between progress events of the running job. */
  progressSeconds: number;
}

const DEFAULT_TUNING: Tuning = {
  rangeSeconds: 5,
  shareSeconds: 10,
  adjustSeconds: 15,
  silentFactor: 6,
  minSilentSeconds: 30,
  checksPerSecond: 1,
  progressSeconds: 30,
};

/** A first guess of hashes per second per thread, low so that the first range is short; measured after that. */
const FIRST_GUESS = { fast: 150, light: 15 } as const;
/** Messages per second a worker may send before it is taken for broken. */
const MESSAGE_LIMIT = 200;
/** Ranges a worker has left that are still remembered, for shares and answers that cross a stop. */
const RECENT_RANGES = 4;
/** A finished range that should have held this many shares and held none was not searched: P(0) ≈ 6e-6. */
const SHARES_EXPECTED_FOR_PROOF = 12;
/** How much a worker's next range may grow over its last: its speed is what it says, so growth is slow. */
const MAX_RATE_GROWTH = 2;
/** Shares checked per second at most, whatever the sampling estimated: each is a light-mode hash (~25 ms). */
const MAX_CHECKS_PER_SECOND = 5;

export type PoolEvent =
  | { type: "queued"; key: string; position: number }
  | { type: "started"; key: string; expectedHashes: number; resumeFrom: bigint }
  | { type: "progress"; key: string; searched: bigint; seconds: number; hashRate: number; etaSeconds: number | null }
  | { type: "done"; key: string; nonce: bigint; worker: string; searched: bigint; seconds: number }
  | { type: "failed"; key: string; error: string; seconds: number }
  | { type: "cancelled"; key: string }
  | { type: "joined"; worker: string; remote: string; threads: number; mode: string }
  | { type: "left"; worker: string; reason: string }
  | { type: "dropped"; worker: string; remote: string; reason: string }
  | { type: "store-failed"; error: string };

interface Span {
  start: bigint;
  count: bigint;
}

interface QueuedJob {
  key: string;
  job: K2powJob;
  seq: number;
  queuedAt: number;
  startedAt: number | null;
  resumeFrom: bigint;
}

interface Head {
  entry: QueuedJob;
  /** The lowest nonce never handed out. */
  next: bigint;
  /** Spans handed out and given back unfinished (their worker left), lowest first. */
  returned: Span[];
  inFlight: Map<number, Assigned>;
  /** Nonces in finished ranges. */
  searched: bigint;
  lastProgress: number;
}

interface Assigned extends Span {
  id: number;
  key: string;
  member: Member;
  sentAt: number;
  deadline: number;
  shareTarget: bigint;
  shares: Set<bigint>;
}

interface Member {
  id: number;
  name: string;
  link: WorkerLink;
  threads: number;
  mode: "fast" | "light";
  joinedAt: number;
  range: Assigned | null;
  recent: Assigned[];
  /** Nonces per second from the ranges it finished: what it says, used only to size its ranges. */
  claimedRate: number;
  shareTarget: bigint;
  meter: ShareMeter;
  checked: number;
  messages: { second: number; count: number };
  rangesDone: number;
  gone: boolean;
}

export interface PoolStatus {
  workers: {
    id: number;
    name: string;
    remote: string;
    threads: number;
    mode: string;
    connectedSeconds: number;
    hashRate: number | null;
    shares: { accepted: number; checked: number; inWindow: number };
    range: { start: string; count: string } | null;
  }[];
  job: {
    key: string;
    seconds: number;
    searched: string;
    expectedHashes: number;
    progress: number;
    etaSeconds: number | null;
    ranges: number;
  } | null;
  queue: { key: string; state: "running" | "queued"; queuedSeconds: number }[];
  totals: { workers: number; hashRate: number; queued: number; done: number; failed: number };
}

export class Coordinator {
  private readonly store: JobStore;
  private readonly verifier: Verifier;
  private readonly tokenDigest: Buffer;
  private readonly queueSize: number;
  private readonly timeoutMs: number;
  private readonly emit: (event: PoolEvent) => void;
  private readonly tuning: Tuning;
  private readonly queue: QueuedJob[] = [];
  private readonly queuedKeys = new Map<string, QueuedJob>();
  private readonly members = new Map<number, Member>();
  private head: Head | null = null;
  private seq = 0;
  private closing = false;
  private checks = { second: 0, count: 0 };
  private nextMemberId = 1;
  private nextRangeId = 1;
  private readonly timers: ReturnType<typeof setInterval>[];

  constructor(options: CoordinatorOptions) {
    this.store = options.store;
    this.verifier = options.verifier;
    this.tokenDigest = digest(options.token);
    this.queueSize = options.queueSize;
    this.timeoutMs = options.jobTimeoutSeconds * 1000;
    this.emit = options.onEvent ?? (() => {});
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    for (const stored of this.store.queued()) {
      const job = jobOfKey(stored.key);
      // A row this program did not write cannot be run; it is answered as failed rather than lost silently.
      if (job === null) {
        this.store.finish(stored.key, { error: "the stored job could not be read back" }, Date.now());
        continue;
      }
      const entry = { ...stored, job };
      this.queue.push(entry);
      this.queuedKeys.set(entry.key, entry);
      this.seq = Math.max(this.seq, stored.seq);
    }
    this.startHead();
    this.timers = [
      setInterval(() => this.tick(), 1000),
      setInterval(() => this.adjustShareTargets(), this.tuning.adjustSeconds * 1000),
      setInterval(() => this.heartbeat(), HEARTBEAT_SECONDS * 1000),
    ];
  }

  // ---- the HTTP side: post-services and operators ----

  /** post-service's GET /job/...: its answer if finished, else queue it (busy when the queue is full). */
  request(key: string, job: K2powJob): JobAnswer {
    const answer = this.store.answer(key);
    if (answer !== null) return "nonce" in answer ? { kind: "done", nonce: answer.nonce } : { kind: "failed", error: answer.error };
    if (this.queuedKeys.has(key)) return { kind: "accepted" };
    if (this.queue.length >= this.queueSize) return { kind: "busy", reason: `the pool's queue is full (${this.queueSize} jobs)` };
    const entry: QueuedJob = { key, job, seq: this.seq + 1, queuedAt: Date.now(), startedAt: null, resumeFrom: 0n };
    try {
      this.store.enqueue(key, entry.seq, entry.queuedAt);
    } catch (err) {
      // post-service fails a proof on a 500; a 429 makes it ask again once the database is writable.
      this.emit({ type: "store-failed", error: (err as Error).message });
      return { kind: "busy", reason: "the pool cannot write its database" };
    }
    this.seq = entry.seq;
    this.queue.push(entry);
    this.queuedKeys.set(key, entry);
    this.emit({ type: "queued", key, position: this.queue.length });
    if (this.head === null) this.startHead();
    return { kind: "accepted" };
  }

  /** DELETE /job/...: stops and forgets a queued or running job, or forgets an answer; false when there was none. */
  cancel(key: string): boolean {
    const entry = this.queuedKeys.get(key);
    if (entry !== undefined) {
      if (this.head?.entry === entry) this.endHead();
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.queuedKeys.delete(key);
      this.store.forget(key);
      this.emit({ type: "cancelled", key });
      this.startHead();
      return true;
    }
    return this.store.forget(key);
  }

  status(): PoolStatus {
    const now = Date.now();
    const workers = [...this.members.values()].map((m) => ({
      id: m.id,
      name: m.name,
      remote: m.link.remote,
      threads: m.threads,
      mode: m.mode,
      connectedSeconds: (now - m.joinedAt) / 1000,
      hashRate: m.meter.rate(now),
      shares: { accepted: m.meter.accepted, checked: m.checked, inWindow: m.meter.count },
      range: m.range === null ? null : { start: m.range.start.toString(), count: m.range.count.toString() },
    }));
    const hashRate = workers.reduce((sum, w) => sum + (w.hashRate ?? 0), 0);
    const head = this.head;
    let job: PoolStatus["job"] = null;
    if (head !== null) {
      const expected = expectedHashes(head.entry.job.difficulty);
      const searched = head.searched;
      job = {
        key: head.entry.key,
        seconds: (now - (head.entry.startedAt ?? now)) / 1000,
        searched: searched.toString(),
        expectedHashes: expected,
        progress: Math.min(1, Number(searched) / expected),
        etaSeconds: hashRate > 0 ? Math.max(0, expected - Number(searched)) / hashRate : null,
        ranges: head.inFlight.size,
      };
    }
    const counts = this.store.counts();
    return {
      workers,
      job,
      queue: this.queue.slice(0, 100).map((q) => ({
        key: q.key,
        state: this.head?.entry === q ? "running" : "queued",
        queuedSeconds: (now - q.queuedAt) / 1000,
      })),
      totals: { workers: workers.length, hashRate, queued: this.queue.length, done: counts.done, failed: counts.failed },
    };
  }

  // ---- the worker side ----

  /** A worker's hello: its id when admitted, else the close code and reason to refuse it with. */
  join(link: WorkerLink, hello: Hello): { ok: true; id: number } | { ok: false; code: number; reason: string } {
    if (hello.protocol !== PROTOCOL_VERSION) {
      return { ok: false, code: CLOSE.refused, reason: `protocol ${hello.protocol} is not supported; this pool speaks ${PROTOCOL_VERSION}` };
    }
    if (!timingSafeEqual(digest(hello.token), this.tokenDigest)) return { ok: false, code: CLOSE.refused, reason: "wrong worker token" };
    const firstRate = FIRST_GUESS[hello.mode] * hello.threads;
    const member: Member = {
      id: this.nextMemberId++,
      name: hello.name,
      link,
      threads: hello.threads,
      mode: hello.mode,
      joinedAt: Date.now(),
      range: null,
      recent: [],
      claimedRate: firstRate,
      shareTarget: shareTargetFor(firstRate, this.tuning.shareSeconds),
      meter: new ShareMeter(),
      checked: 0,
      messages: { second: 0, count: 0 },
      rangesDone: 0,
      gone: false,
    };
    this.members.set(member.id, member);
    link.send({ type: "welcome", protocol: PROTOCOL_VERSION, worker: member.id });
    this.emit({ type: "joined", worker: label(member), remote: link.remote, threads: member.threads, mode: member.mode });
    this.assign(member);
    return { ok: true, id: member.id };
  }

  /** A message from an admitted worker. */
  receive(id: number, message: WorkerMessage): void {
    const member = this.members.get(id);
    if (member === undefined || member.gone) return;
    const second = Math.floor(Date.now() / 1000);
    if (member.messages.second !== second) member.messages = { second, count: 0 };
    if (++member.messages.count > MESSAGE_LIMIT) return this.drop(member, CLOSE.malformed, `over ${MESSAGE_LIMIT} messages a second`);
    if (message.type === "hello") return this.drop(member, CLOSE.malformed, "hello sent twice");
    const range = this.rangeOf(member, message.range);
    if (range === null) {
      // An id already handed out is a late message for a range long ended; a larger one was never given.
      if (message.range < this.nextRangeId) return;
      return this.drop(member, CLOSE.malformed, `range ${message.range} was never given to this worker`);
    }
    const current = member.range === range;
    switch (message.type) {
      case "share":
        return this.share(member, range, message.nonce);
      case "found":
        return this.found(member, range, message.nonce, current);
      case "done":
        if (!current) return;
        if (this.unproven(range)) {
          return this.drop(member, CLOSE.invalidWork, `range ${range.id} reported searched without one share (about ${SHARES_EXPECTED_FOR_PROOF}+ expected)`);
        }
        return this.rangeDone(member, range);
      case "failed":
        if (!current) return;
        return this.drop(member, CLOSE.workerFailed, `it could not search range ${range.id}: ${message.error}`.slice(0, 120));
    }
  }

  /** The worker's connection closed. Its range goes back to be handed to another. */
  leave(id: number, reason: string): void {
    const member = this.members.get(id);
    if (member === undefined) return;
    this.members.delete(id);
    if (!member.gone) this.emit({ type: "left", worker: label(member), reason });
    member.gone = true;
    this.giveBack(member);
  }

  /** Stops the clocks and tells every worker the pool is going. The queue stays in the store. */
  close(): void {
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const member of [...this.members.values()]) {
      member.gone = true;
      member.link.close(CLOSE.shutdown, "the pool is shutting down");
      this.members.delete(member.id);
    }
  }

  // ---- scheduling ----

  private startHead(): void {
    if (this.head !== null || this.queue.length === 0) return;
    const entry = this.queue[0]!;
    if (entry.startedAt === null) {
      entry.startedAt = Date.now();
      this.store.start(entry.key, entry.startedAt);
    }
    this.head = { entry, next: entry.resumeFrom, returned: [], inFlight: new Map(), searched: 0n, lastProgress: Date.now() };
    this.emit({ type: "started", key: entry.key, expectedHashes: expectedHashes(entry.job.difficulty), resumeFrom: entry.resumeFrom });
    for (const member of this.members.values()) this.assign(member);
  }

  /** Ends the head job: every worker on it is stopped. The caller records the outcome and starts the next. */
  private endHead(): void {
    const head = this.head;
    if (head === null) return;
    this.head = null;
    for (const range of head.inFlight.values()) {
      range.member.link.send({ type: "stop", range: range.id });
      this.release(range.member, range);
    }
  }

  /** Records the head job's outcome, stops its workers and starts the next job; `by` is the worker that found it. */
  private finishHead(answer: StoredAnswer, by = ""): void {
    const head = this.head;
    if (head === null) return;
    const { key } = head.entry;
    const seconds = (Date.now() - (head.entry.startedAt ?? Date.now())) / 1000;
    this.store.finish(key, answer, Date.now());
    this.endHead();
    this.queue.shift();
    this.queuedKeys.delete(key);
    if ("nonce" in answer) this.emit({ type: "done", key, nonce: answer.nonce, worker: by, searched: head.searched, seconds });
    else this.emit({ type: "failed", key, error: answer.error, seconds });
    this.startHead();
  }

  /** Hands an idle worker the next range of the head job: a returned one first, lowest first, else a new one. */
  private assign(member: Member): void {
    const head = this.head;
    if (head === null || member.range !== null || member.gone || this.closing) return;
    // The first range is short: the rate it is sized from is only a guess.
    const seconds = member.rangesDone === 0 ? 1 : this.tuning.rangeSeconds;
    const size = BigInt(Math.max(1, Math.round(member.claimedRate * seconds)));
    let span: Span;
    const returned = head.returned.shift();
    if (returned !== undefined) {
      span = { start: returned.start, count: returned.count < size ? returned.count : size };
      if (returned.count > size) head.returned.unshift({ start: returned.start + size, count: returned.count - size });
    } else if (head.next < NONCE_LIMIT) {
      const left = NONCE_LIMIT - head.next;
      span = { start: head.next, count: left < size ? left : size };
      head.next += span.count;
    } else {
      return;
    }
    const now = Date.now();
    const expectedMs = (Number(span.count) / member.claimedRate) * 1000;
    const range: Assigned = {
      ...span,
      id: this.nextRangeId++,
      key: head.entry.key,
      member,
      sentAt: now,
      deadline: now + Math.max(this.tuning.minSilentSeconds * 1000, expectedMs * this.tuning.silentFactor),
      shareTarget: member.shareTarget,
      shares: new Set(),
    };
    head.inFlight.set(range.id, range);
    member.range = range;
    const { job } = head.entry;
    member.link.send({
      type: "work",
      range: range.id,
      job: { miner: hex(job.miner), nonceGroup: job.nonceGroup, challenge: hex(job.challenge), difficulty: hex(job.difficulty) },
      start: span.start.toString(),
      count: span.count.toString(),
      shareTarget: targetHex(range.shareTarget),
    });
  }

  private rangeDone(member: Member, range: Assigned): void {
    const head = this.head;
    const elapsedMs = Math.max(1, Date.now() - range.sentAt);
    // Smoothed, so one slow range (a busy moment on the box) does not halve the next; growth capped, so a worker
    // that answers at once cannot talk its way to a range the size of the nonce space.
    const measured = 0.7 * member.claimedRate + 0.3 * ((Number(range.count) * 1000) / elapsedMs);
    const proven = member.meter.rate(Date.now(), 8);
    member.claimedRate = Math.min(measured, member.claimedRate * MAX_RATE_GROWTH, proven === null ? Infinity : proven * 4);
    member.rangesDone++;
    // Until its shares can say, the share target follows the rate its ranges show, so shares come about as planned.
    if (member.meter.count < 8) member.shareTarget = shareTargetFor(member.claimedRate, this.tuning.shareSeconds);
    this.release(member, range);
    if (head !== null && head.entry.key === range.key) {
      head.searched += range.count;
      this.saveProgress(head);
      if (head.next >= NONCE_LIMIT && head.returned.length === 0 && head.inFlight.size === 0) {
        return this.finishHead({ error: "no valid nonce in the whole nonce space (0..2^56-1)" });
      }
    }
    this.assign(member);
  }

  private found(member: Member, range: Assigned, text: string, current: boolean): void {
    const nonce = nonceOf(text);
    if (nonce === null || nonce < range.start || nonce >= range.start + range.count) {
      return this.drop(member, CLOSE.invalidWork, `nonce ${text} is outside its range ${range.id}`);
    }
    const job = this.head?.entry.key === range.key ? this.head.entry.job : null;
    // An answer for a job already finished or cancelled (it crossed the stop) changes nothing.
    if (job === null) return;
    if (!meetsDifficulty(this.verifier.hash(hashInput(job, nonce)), job.difficulty)) {
      return this.drop(member, CLOSE.invalidWork, `nonce ${nonce} does not meet the job's difficulty`);
    }
    if (current) this.release(member, range);
    const head = this.head!;
    head.searched += nonce - range.start + 1n;
    this.finishHead({ nonce }, label(member));
  }

  private share(member: Member, range: Assigned, text: string): void {
    const nonce = nonceOf(text);
    if (nonce === null || nonce < range.start || nonce >= range.start + range.count) {
      return this.drop(member, CLOSE.invalidWork, `share ${text} is outside its range ${range.id}`);
    }
    if (range.shares.has(nonce)) return this.drop(member, CLOSE.invalidWork, `share ${nonce} sent twice`);
    range.shares.add(nonce);
    const job = this.jobOf(range.key);
    if (job === null) return;
    // Checking every share would cost the pool one light-mode hash per share; past the budget, a random sample.
    const sampled = Math.min(1, (this.tuning.checksPerSecond * this.tuning.shareSeconds) / Math.max(1, this.members.size));
    if (Math.random() >= sampled) return;
    const second = Math.floor(Date.now() / 1000);
    if (this.checks.second !== second) this.checks = { second, count: 0 };
    if (++this.checks.count > MAX_CHECKS_PER_SECOND) return;
    member.checked++;
    if (!meetsDifficulty(this.verifier.hash(hashInput(job, nonce)), targetBytes(range.shareTarget))) {
      return this.drop(member, CLOSE.invalidWork, `share ${nonce} does not meet its share target`);
    }
    member.meter.addShare(range.shareTarget, sampled, Date.now());
    // A checked share proves the worker is at work on the range, however slow it is.
    range.deadline = Math.max(range.deadline, Date.now() + this.tuning.minSilentSeconds * 1000);
  }

  /** Takes a range off its worker, counting the time it spent on it. */
  private release(member: Member, range: Assigned): void {
    this.head?.inFlight.delete(range.id);
    if (member.range === range) member.range = null;
    member.recent.push(range);
    if (member.recent.length > RECENT_RANGES) member.recent.shift();
    member.meter.addBusy(Date.now() - range.sentAt, Date.now());
  }

  /** A worker's unfinished range goes back to the head job, to be handed to the next idle worker. */
  private giveBack(member: Member): void {
    const range = member.range;
    if (range === null) return;
    this.release(member, range);
    const head = this.head;
    if (head === null || head.entry.key !== range.key) return;
    head.returned.push({ start: range.start, count: range.count });
    head.returned.sort((a, b) => (a.start < b.start ? -1 : 1));
    for (const other of this.members.values()) this.assign(other);
  }

  /** Closes a misbehaving worker's connection with the reason, and hands its range to another. */
  private drop(member: Member, code: number, reason: string): void {
    if (member.gone) return;
    member.gone = true;
    this.emit({ type: "dropped", worker: label(member), remote: member.link.remote, reason });
    member.link.close(code, reason.slice(0, 120));
    this.members.delete(member.id);
    this.giveBack(member);
  }

  /** Whether a range reported as searched should have yielded many shares and yielded none. */
  private unproven(range: Assigned): boolean {
    const job = this.jobOf(range.key);
    if (job === null || range.shares.size > 0 || !meetsDifficulty(job.difficulty, targetBytes(range.shareTarget))) return false;
    return (Number(range.count) * Number(range.shareTarget)) / 2 ** 256 >= SHARES_EXPECTED_FOR_PROOF;
  }

  private rangeOf(member: Member, id: number): Assigned | null {
    if (member.range?.id === id) return member.range;
    return member.recent.find((r) => r.id === id) ?? null;
  }

  private jobOf(key: string): K2powJob | null {
    return this.queuedKeys.get(key)?.job ?? null;
  }

  /** The lowest nonce not known to be searched, kept so a restarted pool resumes there. */
  private saveProgress(head: Head): void {
    let low = head.next;
    for (const span of [...head.returned, ...head.inFlight.values()]) if (span.start < low) low = span.start;
    if (low !== head.entry.resumeFrom) {
      head.entry.resumeFrom = low;
      this.store.progress(head.entry.key, low);
    }
  }

  // ---- clocks ----

  private tick(): void {
    try {
      this.checkClocks();
    } catch (err) {
      this.emit({ type: "store-failed", error: (err as Error).message });
    }
  }

  private checkClocks(): void {
    const now = Date.now();
    for (const member of [...this.members.values()]) {
      const range = member.range;
      if (range !== null && now > range.deadline) {
        this.drop(member, CLOSE.silent, `range ${range.id} not finished in ${Math.round((now - range.sentAt) / 1000)} s`);
      }
    }
    const head = this.head;
    if (head === null) return;
    const seconds = (now - (head.entry.startedAt ?? now)) / 1000;
    if (this.timeoutMs > 0 && now - (head.entry.startedAt ?? now) > this.timeoutMs) {
      return this.finishHead({ error: `timed out after ${Math.round(seconds)} s (the pool's --job-timeout)` });
    }
    if (now - head.lastProgress >= this.tuning.progressSeconds * 1000) {
      head.lastProgress = now;
      const { job, totals } = this.status();
      this.emit({
        type: "progress",
        key: head.entry.key,
        searched: head.searched,
        seconds,
        hashRate: totals.hashRate,
        etaSeconds: job?.etaSeconds ?? null,
      });
    }
  }

  /**
   * Re-aims each worker's share target at one share per shareSeconds: from its checked shares once there are
   * enough of them, before that from the rate its finished ranges suggest. Takes effect with its next range.
   */
  private adjustShareTargets(): void {
    const now = Date.now();
    for (const member of this.members.values()) {
      const rate = member.meter.rate(now, 8) ?? member.claimedRate;
      member.shareTarget = shareTargetFor(rate, this.tuning.shareSeconds);
    }
  }

  private heartbeat(): void {
    for (const member of this.members.values()) member.link.send({ type: "heartbeat" });
  }
}

function label(member: Member): string {
  return `${member.name}#${member.id}`;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function targetBytes(target: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(targetHex(target), "hex"));
}
