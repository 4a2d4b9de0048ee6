// The pool's audit of what workers send. Each range gets a share target from its size, so that an honest search of
// it yields EXPECTED_SHARES shares on average; shares are checked on the verifier (every one while it keeps up, past
// that a random sample sized to its measured capacity); a range reported searched with too few shares was not.
import { hashInput, type K2powJob } from "../engine/k2pow-rule";
import type { Clock } from "./clock";
import { bytesFromBig } from "../bytes/hex";

/** What the audit needs of the verifier thread. */
export interface Checker {
  /** Whether RandomX(input) is below `target`; nonce checks go before share checks. */
  check(input: Uint8Array, target: Uint8Array, kind: "nonce" | "share"): Promise<boolean>;
  /** Checks per second it sustains; null until measured. */
  capacity(): number | null;
  /** Checks queued or running. */
  readonly pending: number;
}

const TWO_256 = 1n << 256n;
const MAX_TARGET = TWO_256 - 1n;
/** Shares an honest search of a range yields on average. */
export const EXPECTED_SHARES = 24;
/**
 * A range reported searched with fewer shares than this was not searched: with 24 expected, an honest search
 * yields 4 or fewer with probability 6.2e-7 (Poisson), and none with 3.8e-11.
 */
export const MIN_SHARES = 5;
/** More shares than this from one range is no search: with 24 expected, P ≈ 1e-25. */
export const MAX_SHARES = 4 * EXPECTED_SHARES;
/** Shares of a range checked at least before it is credited, picked at random when the sampling left fewer. */
export const MIN_CHECKED = 3;
/**
 * A claim is proven when every share it came with was checked and there are at least this many: what a search of at
 * least half the range yields. An honest search yields fewer with probability 0.5%; its claim is then searched again
 * before a job may end without a nonce.
 */
export const PROVEN_SHARES = EXPECTED_SHARES / 2;
/** The part of the verifier's capacity share checks may take; the rest stays free for nonces and bursts. */
const SHARE_BUDGET = 0.5;
/** A share that would wait longer than this behind other checks goes unchecked. */
const MAX_BACKLOG_SECONDS = 2;
/** How far back the rate of incoming shares is measured. */
const RATE_WINDOW_MS = 15_000;

/** The share target of a range of `count` nonces: hashes from the difficulty up to it are shares. */
export function shareTarget(count: bigint, difficulty: bigint): bigint {
  const target = difficulty + (BigInt(EXPECTED_SHARES) * TWO_256 + count - 1n) / count;
  return target > MAX_TARGET ? MAX_TARGET : target;
}

/**
 * The fewest nonces in a range: with EXPECTED_SHARES from it, at most one hash in 16 is a share, so a nonce sent as a
 * share without being hashed passes its check at most one time in 16.
 */
export const MIN_RANGE = BigInt(EXPECTED_SHARES * 16);

/** What a range reported searched shows: whether it is proven, and how well (the part of its shares checked). */
export function proofOf(shares: number, checked: number): { proven: boolean; strength: number } {
  return { proven: shares >= PROVEN_SHARES && checked === shares, strength: shares === 0 ? 0 : checked / shares };
}

/** Hashes one share stands for on average: 2^256 / (target − difficulty). */
export function hashesPerShare(target: bigint, difficulty: bigint): number {
  return 2 ** 256 / Number(target - difficulty);
}

export interface CheckStatus {
  /** Checks per second the verifier sustains, as measured. */
  capacityPerSecond: number | null;
  /** Shares arriving per second, all workers, over the last 15 s. */
  sharesPerSecond: number;
  /** The part of shares being checked now. */
  checkedFraction: number;
  pending: number;
  sharesChecked: number;
  sharesUnchecked: number;
  nonceChecks: number;
}

export class ProofAudit {
  private readonly arrivals: number[] = [];
  private sharesChecked = 0;
  private sharesUnchecked = 0;
  private nonceChecks = 0;

  constructor(
    private readonly checker: Checker,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * A share arrived: the check of it, with the probability it had of being checked (to scale what it proves), or
   * null when it goes unchecked (also when its worker already has as many checks queued as it may: `allowed`).
   */
  share(job: K2powJob, nonce: bigint, target: bigint, allowed = true): { check: Promise<boolean>; sampled: number } | null {
    const now = this.clock.now();
    this.arrivals.push(now);
    const sampled = this.fraction(now);
    const capacity = this.checker.capacity();
    const backlogged = capacity !== null && this.checker.pending > capacity * MAX_BACKLOG_SECONDS;
    if (!allowed || backlogged || this.random() >= sampled) {
      this.sharesUnchecked++;
      return null;
    }
    this.sharesChecked++;
    return { check: this.checker.check(hashInput(job, nonce), bytesFromBig(target, 32), "share"), sampled };
  }

  /** A share checked for its range's proof, whatever the sampling. */
  recheck(job: K2powJob, nonce: bigint, target: bigint): Promise<boolean> {
    this.sharesChecked++;
    this.sharesUnchecked--;
    return this.checker.check(hashInput(job, nonce), bytesFromBig(target, 32), "share");
  }

  /** A claimed answer: always checked, ahead of shares. */
  nonce(job: K2powJob, nonce: bigint): Promise<boolean> {
    this.nonceChecks++;
    return this.checker.check(hashInput(job, nonce), job.difficulty, "nonce");
  }

  status(): CheckStatus {
    const now = this.clock.now();
    return {
      capacityPerSecond: this.checker.capacity(),
      sharesPerSecond: this.shareRate(now),
      checkedFraction: this.fraction(now),
      pending: this.checker.pending,
      sharesChecked: this.sharesChecked,
      sharesUnchecked: this.sharesUnchecked,
      nonceChecks: this.nonceChecks,
    };
  }

  /** Every share while the verifier keeps up with SHARE_BUDGET of its capacity; past that, what that budget allows. */
  private fraction(now: number): number {
    const capacity = this.checker.capacity();
    const rate = this.shareRate(now);
    if (capacity === null || rate === 0) return 1;
    return Math.min(1, (SHARE_BUDGET * capacity) / rate);
  }

  private shareRate(now: number): number {
    const since = now - RATE_WINDOW_MS;
    let old = 0;
    while (old < this.arrivals.length && this.arrivals[old]! < since) old++;
    if (old > 0) this.arrivals.splice(0, old);
    return (this.arrivals.length * 1000) / RATE_WINDOW_MS;
  }
}
