// One worker's connection to the pool, from hello to close: who it is, the range it searches and the ranges it has
// reported but the pool has not finished checking, how fast its checked shares prove it is, and so how large its next
// range may be. Its own word (how fast it finished ranges) only ever makes a range smaller than the proof allows.
import type { PoolMessage } from "./protocol";
import { NO_COUNTS, type Range, type ShareCounts } from "./range";
import { addressKey } from "../net/address-scope";
import { sessionName, type Proof } from "./nonce-space";
import { CoverageRecord } from "./coverage-records";
import { MAX_SHARES } from "./proof-audit";
import { ShareMeter } from "./share-meter";

/** How the pool reaches one connected worker. */
export interface WorkerLink {
  send(message: PoolMessage): void;
  /** Ends the connection; its close is not reported back as the worker leaving, the pool has already let it go. */
  close(code: number, reason: string): void;
  /** Holds its address off its next hellos for a while: it sent false work or broken messages. */
  holdOff(): void;
  /** Where it connects from, for logs and status ("address:port"). */
  readonly remote: string;
  /** Its IP address alone. */
  readonly address: string;
}

/** A first guess of hashes per second per thread, low so that the first range is short. */
const FIRST_GUESS = { fast: 150, light: 15 } as const;
/** Threads a hello may claim for that guess: more is the worker's word, and only proof grows its ranges. */
const FIRST_GUESS_THREADS = 64;
/** A range may hold at most this many times what the worker's checked shares prove it does in the range's time. */
const PROVEN_GROWTH = 2;
/**
 * Messages per second a worker may send before it is taken for broken, besides what the ranges it was handed in that
 * second or the one before call for: up to MAX_SHARES shares and its done or found each. A fast worker handed small
 * ranges (nonces that came back) finishes several a second, each with its ~72 shares, some in the next second.
 */
const MESSAGE_LIMIT = 200;
const MESSAGES_PER_RANGE = MAX_SHARES + 2;
/** Ranges a worker has left that are still known, for shares and answers that cross a stop. */
const RECENT_RANGES = 4;

export class WorkerSession {
  readonly meter = new ShareMeter();
  range: Range | null = null;
  /** Ranges reported and not yet settled: they go back if the worker is caught meanwhile. */
  readonly unsettled = new Set<Range>();
  rangesDone = 0;
  sharesReceived = 0;
  /**
   * Shares that checked out (of the ranges it left: see `searching`), and shares rejected (outside the range, twice,
   * or not below its target).
   */
  sharesChecked = 0;
  sharesRejected = 0;
  /** Ranges it reported searched that were credited to it, and of those, proven searched by their checked shares. */
  rangesClaimed = 0;
  rangesProven = 0;
  /** Its share checks under way. */
  checking = 0;
  /**
   * What names it, to keep nonces from it under another connection too: its session, the name it joins with and its
   * address (an IPv6 /64).
   */
  readonly names: readonly string[];
  /** Its name and connection, as /status, events and logs show it. */
  readonly label: string;
  /** Closed; and caught sending false work, which undoes its claims. */
  gone = false;
  caught = false;
  /** The low guess its first range is sized from; later ranges' deadlines are paced at no less. */
  readonly firstRate: number;
  private readonly recent: Range[] = [];
  /** The hashes each checked share of the range it is searching stands for, counted once it leaves the range. */
  private held: number[] = [];
  /** Nonces per second from the ranges it finished: its word, smoothed; only ever lowers a range's size. */
  private reportedRate: number;
  private messages = { second: 0, count: 0, ranges: 0, rangesBefore: 0 };

  constructor(
    readonly id: number,
    readonly name: string,
    readonly link: WorkerLink,
    readonly threads: number,
    readonly mode: "fast" | "light",
    readonly joinedAt: number,
    /** Its coverage record: a new one, or one its address left (CoverageRecords). */
    readonly record = new CoverageRecord<WorkerSession>(),
  ) {
    this.label = `${name}#${id}`;
    this.names = [sessionName(id), `name ${name}`, `address ${addressKey(link.address)}`];
    this.firstRate = FIRST_GUESS[mode] * Math.min(threads, FIRST_GUESS_THREADS);
    this.reportedRate = this.firstRate;
  }

  /** One of its ranges was credited to its claim with this proof. */
  claimed(proof: Proof): void {
    this.rangesClaimed++;
    this.weigh(proof);
  }

  /** A claim credited earlier with some of its shares unchecked, every one of them checked since. */
  provedLater(proof: Proof): void {
    this.weigh(proof);
  }

  private weigh(proof: Proof): void {
    if (proof.proven) this.rangesProven++;
    // Only a claim whose every share was checked says how well the range was covered.
    if (proof.strength === 1) this.record.add(proof.proven, this);
  }

  /** Of the last COVERAGE_WINDOW fully checked claims in its record, those whose shares covered the range too thinly. */
  get thinClaims(): number {
    return this.record.thin;
  }

  /** Its record, to hand reopened nonces to the most trusted worker first: proven claims, none thin of late. */
  get trusted(): boolean {
    return this.rangesProven > 0 && this.thinClaims === 0;
  }

  /** False once the worker sends more messages within one second than messageLimit. */
  allowMessage(now: number): boolean {
    this.messagesIn(now).count++;
    return this.messages.count <= this.messageLimit;
  }

  /** What it may send in the current second: MESSAGE_LIMIT, and what each range handed in it or the one before calls for. */
  get messageLimit(): number {
    return MESSAGE_LIMIT + (this.messages.ranges + this.messages.rangesBefore) * MESSAGES_PER_RANGE;
  }

  private messagesIn(now: number): { count: number; ranges: number } {
    const second = Math.floor(now / 1000);
    if (this.messages.second !== second) {
      const rangesBefore = second === this.messages.second + 1 ? this.messages.ranges : 0;
      this.messages = { second, count: 0, ranges: 0, rangesBefore };
    }
    return this.messages;
  }

  /** Its hash rate from checked shares; null before the first. */
  provenRate(now: number): number | null {
    return this.meter.rate(now);
  }

  /**
   * The shares of the range it is searching, which nothing the pool shows (/status, /metrics, logs) counts until the
   * worker leaves the range: its shares are checked as they come only when it is audited, and a worker that knew that
   * mid-range could search the ranges not audited in part.
   */
  get searching(): ShareCounts {
    return this.range?.shareCounts ?? NO_COUNTS;
  }

  /** A share of `range` checked out, standing for `hashes` hashes: counted now, or when the worker leaves the range. */
  sharePassed(range: Range, hashes: number, now: number): void {
    if (range === this.range) this.held.push(hashes);
    else this.countShares([hashes], now);
  }

  private countShares(hashes: number[], now: number): void {
    for (const h of hashes) this.meter.addShare(h, now);
    this.sharesChecked += hashes.length;
  }

  /**
   * Hashes per second to size its next range from: a low guess for the first range; after that what its finished
   * ranges suggest, capped by twice what its checked shares prove (and no growth without a checked share).
   */
  sizingRate(now: number): number {
    if (this.rangesDone === 0) return this.firstRate;
    const proven = this.meter.rate(now);
    if (proven === null) return Math.min(this.reportedRate, this.firstRate);
    // The proof of n shares is good to about 1/√n; the cap takes its low end, so a lucky few shares do not count.
    const low = proven * Math.max(0, 1 - 1 / Math.sqrt(this.meter.count));
    return Math.min(this.reportedRate, PROVEN_GROWTH * low);
  }

  begin(range: Range): void {
    // What it is shown to have checked (`searching`) holds one range at a time.
    if (this.range !== null) throw new Error(`worker ${this.label}: handed range ${range.id} while on range ${this.range.id}`);
    this.range = range;
    this.messagesIn(range.sentAt).ranges++;
    this.recent.push(range);
    if (this.recent.length > RECENT_RANGES) this.recent.shift();
  }

  /** The range this worker was given under `id`, while the pool still knows it. */
  find(id: number): Range | null {
    return this.recent.find((r) => r.id === id) ?? null;
  }

  /** Its range ended on the worker's side: time on it counts, and a finished one says how fast it went. */
  leaveRange(range: Range, now: number, finished: boolean): void {
    if (this.range === range) {
      this.range = null;
      this.countShares(this.held, now);
      this.held = [];
    }
    const ms = Math.max(1, now - range.sentAt);
    this.meter.addBusy(ms, now);
    if (!finished) return;
    this.rangesDone++;
    // Smoothed, so one slow range (a busy moment on the box) does not halve the next; at most doubling per range.
    const rate = (Number(range.count) * 1000) / ms;
    this.reportedRate = Math.min(0.7 * this.reportedRate + 0.3 * rate, 2 * this.reportedRate);
  }
}
