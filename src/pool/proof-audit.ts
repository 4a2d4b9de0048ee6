// The pool's audit of what workers send. Each range gets a share target from its size, so that an honest search of
// it yields EXPECTED_SHARES shares on average; shares are checked on the verifier, a claim at a time: every share of
// every range while the verifier keeps up, past that every share of a random part of the ranges sized to its measured
// capacity (audited, drawn at a range's first share and told to no one), and MIN_CHECKED of each other range's. A
// range reported searched with too few shares was not, and one is proven searched only when its checked shares fill
// every part of it (proofOf): so audited ranges are the ones that can be proven, and that weigh a worker's coverage.
// Sampling whole ranges rather than shares keeps that true at any fleet size: shares sampled one by one leave no
// range with all 72 checked once the sample is under about 99%. The probabilities below are Poisson's: a search of n
// nonces yields shares at random, EXPECTED_SHARES · n / count of them on average.
import { hashInput, type K2powJob } from "../engine/k2pow-rule";
import type { Clock } from "./clock";
import { bytesFromBig } from "../bytes/hex";
import type { CheckStatus } from "../wire/status";
import type { Proof } from "./nonce-space";

/** What the audit needs of the verifier thread. */
export interface Checker {
  /** Whether RandomX(input) is below `target`; nonce checks go before share checks, and spare ones after both. */
  check(input: Uint8Array, target: Uint8Array, kind: "nonce" | "share" | "spare"): Promise<boolean>;
  /** Checks per second it sustains; null until measured. */
  capacity(): number | null;
  /** Checks queued or running, but spare ones queued. */
  readonly pending: number;
}

const TWO_256 = 1n << 256n;
const MAX_TARGET = TWO_256 - 1n;
/**
 * Shares an honest search of a range yields on average: the fewest that tell a whole search from half of one at
 * 1% either way (PROVEN_SHARES).
 */
export const EXPECTED_SHARES = 72;
/**
 * A range reported searched with fewer shares than this was not searched (its worker is dropped): with 72
 * expected, an honest search yields 31 or fewer with probability 4.3e-8.
 */
export const MIN_SHARES = 32;
/** More shares than this from one range is no search: with 72 expected, P < 1e-14. */
export const MAX_SHARES = 4 * EXPECTED_SHARES;
/** Shares of a range checked at least before it is credited, picked at random when the audit left fewer. */
export const MIN_CHECKED = 3;
/**
 * A claim is proven when every share it came with was checked, there are at least PROVEN_SHARES of them, and each
 * of the range's PROOF_PARTS equal parts holds at least PART_SHARES:
 * - an honest search fails it with probability 0.61% (fewer than 52 of 72 expected: 0.58%; a part with fewer than 5
 *   of 18 expected: 0.034%), and its claim is then searched again before a job may end without a nonce;
 * - a search of half the range passes it with probability at most 0.71%, however the half is chosen (its shares
 *   number 52 or more with that probability); a half that is one piece, anywhere, leaves a part without shares;
 * - a search that skips any quarter of the range in one piece passes it never: that leaves a part empty.
 */
export const PROVEN_SHARES = 52;
export const PROOF_PARTS = 4;
export const PART_SHARES = 5;
/**
 * A worker is caught when COVERAGE_FAILURES of its last COVERAGE_WINDOW claims whose every share was checked were
 * not proven. An honest worker's claim fails the proof with probability p = 0.61%, so a new claim completes five
 * failures in ten with probability about C(9,4)·p⁵ ≈ 1.1e-9: at 720 ranges an hour, once in about 150 years of one
 * worker's work. A worker that searches half of each range has at least 99.29% of its claims unproven, so it is
 * caught by its fifth range with probability ≥ 96%. One that searches honestly often enough to stay under the bar
 * still has every thin claim searched again.
 */
export const COVERAGE_WINDOW = 10;
export const COVERAGE_FAILURES = 5;
/** The part of the verifier's capacity share checks may take; the rest stays free for nonces and bursts. */
export const SHARE_BUDGET = 0.5;
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
 * The fewest nonces in a range: with EXPECTED_SHARES from it, at most 3 hashes in 16 are shares, so a nonce sent as
 * a share without being hashed passes its check at most 19% of the time (and one that fails drops its worker).
 * Kept small so that a light-mode worker's first range is seconds, not minutes.
 */
export const MIN_RANGE = BigInt((EXPECTED_SHARES * 16) / 3);

/**
 * What a range reported searched shows: whether it is proven (see PROVEN_SHARES), and how well (the part of its
 * shares checked). `shares` are the nonces sent as shares, all inside the range; `checked` how many of them were
 * checked (each one that failed had its worker dropped).
 */
export function proofOf(range: { start: bigint; count: bigint }, shares: Iterable<bigint>, checked: number): Proof {
  const perPart = new Array<number>(PROOF_PARTS).fill(0);
  let total = 0;
  for (const nonce of shares) {
    perPart[Number(((nonce - range.start) * BigInt(PROOF_PARTS)) / range.count)]!++;
    total++;
  }
  const proven = checked === total && total >= PROVEN_SHARES && perPart.every((n) => n >= PART_SHARES);
  return { proven, strength: total === 0 ? 0 : checked / total };
}

/** Hashes one share stands for on average: 2^256 / (target − difficulty). */
export function hashesPerShare(target: bigint, difficulty: bigint): number {
  return 2 ** 256 / Number(target - difficulty);
}

/** A range as the audit sees it: whether all its shares are checked, undecided until its first share. */
export interface AuditedClaim {
  audited?: boolean;
  /**
   * A worker's first range: sized from a guess, it measures the worker. First ranges are audited from what the later
   * ones leave of the budget, and their shares are not in the rate the later ones are audited by: a fleet joining at
   * once would otherwise swell it over the seconds in which the fleet's long ranges draw their audits.
   */
  first?: boolean;
}

export class ProofAudit {
  /** When shares arrived over the last RATE_WINDOW_MS: of later ranges, and of first ranges. */
  private readonly arrivals: number[] = [];
  private readonly firstArrivals: number[] = [];
  /**
   * When ranges were drawn, once for each of the MIN_CHECKED checks each would need before its credit if not audited:
   * taken from the audits' budget as they are drawn, not as the checks come (a joining fleet's first ranges come
   * faster than the rate's window would see them). Reserved whichever way a range is drawn, so that the odds /status
   * shows leave no trace of a draw (an audited range's own checks already take those three).
   */
  private readonly rechecks: number[] = [];
  private sharesChecked = 0;
  private sharesUnchecked = 0;
  private nonceChecks = 0;

  constructor(
    private readonly checker: Checker,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * A share arrived for `claim` (its range): the check of it, or null when it goes unchecked: its range is not
   * audited, the verifier is backlogged, or its worker already has as many checks queued as it may (`allowed`). The
   * range's audit is drawn at its first share, from the sampling then.
   */
  share(job: K2powJob, nonce: bigint, target: bigint, claim: AuditedClaim, allowed = true): Promise<boolean> | null {
    const now = this.clock.now();
    (claim.first ? this.firstArrivals : this.arrivals).push(now);
    if (claim.audited === undefined) {
      claim.audited = this.random() < this.odds(now, claim.first === true);
      for (let i = 0; i < MIN_CHECKED; i++) this.rechecks.push(now);
    }
    const capacity = this.checker.capacity();
    const backlogged = capacity !== null && this.checker.pending > capacity * MAX_BACKLOG_SECONDS;
    if (!claim.audited || !allowed || backlogged) {
      this.sharesUnchecked++;
      return null;
    }
    this.sharesChecked++;
    return this.checker.check(hashInput(job, nonce), bytesFromBig(target, 32), "share");
  }

  /** One of a range's unchecked shares, checked before the range is credited (MIN_CHECKED). */
  recheck(job: K2powJob, nonce: bigint, target: bigint): Promise<boolean> {
    this.sharesChecked++;
    this.sharesUnchecked--;
    return this.checker.check(hashInput(job, nonce), bytesFromBig(target, 32), "share");
  }

  /** Shares of a credited range, checked in the verifier's spare time (after every nonce and share check). */
  later(job: K2powJob, nonces: readonly bigint[], target: bigint): Promise<boolean>[] {
    const bytes = bytesFromBig(target, 32);
    return nonces.map((nonce) => {
      const check = this.checker.check(hashInput(job, nonce), bytes, "spare");
      // Counted checked once it is: until then it waits, unchecked.
      void check.then(
        () => {
          this.sharesUnchecked--;
          this.sharesChecked++;
        },
        () => {},
      );
      return check;
    });
  }

  /** A claimed answer: always checked, ahead of shares. */
  nonce(job: K2powJob, nonce: bigint): Promise<boolean> {
    this.nonceChecks++;
    return this.checker.check(hashInput(job, nonce), job.difficulty, "nonce");
  }

  /** `later`: shares waiting for the verifier's spare time, and ranges left claims for want of room (LaterChecks). */
  status(later: { shares: number; refused: number }): CheckStatus {
    const now = this.clock.now();
    return {
      capacityPerSecond: this.checker.capacity(),
      sharesPerSecond: this.shareRate(now),
      checkedFraction: this.odds(now, false),
      pending: this.checker.pending,
      spare: later.shares,
      spareRefused: later.refused,
      sharesChecked: this.sharesChecked,
      sharesUnchecked: this.sharesUnchecked,
      nonceChecks: this.nonceChecks,
    };
  }

  /**
   * The part of ranges audited: all while the verifier keeps up with SHARE_BUDGET of its capacity; past that, what it
   * allows once every range's few credit checks are taken from it, first to the later ranges, and what they leave to
   * first ranges.
   */
  private odds(now: number, first: boolean): number {
    const capacity = this.checker.capacity();
    if (capacity === null) return 1;
    const budget = Math.max(0, SHARE_BUDGET * capacity - rateOf(this.rechecks, now));
    const later = rateOf(this.arrivals, now);
    if (!first) return later === 0 ? 1 : Math.min(1, budget / later);
    const firsts = rateOf(this.firstArrivals, now);
    return firsts === 0 ? 1 : Math.min(1, Math.max(0, budget - later) / firsts);
  }

  private shareRate(now: number): number {
    return rateOf(this.arrivals, now) + rateOf(this.firstArrivals, now);
  }
}

/** Arrivals a second over the last RATE_WINDOW_MS; older ones are let go. */
function rateOf(arrivals: number[], now: number): number {
  const since = now - RATE_WINDOW_MS;
  let old = 0;
  while (old < arrivals.length && arrivals[old]! < since) old++;
  if (old > 0) arrivals.splice(0, old);
  return (arrivals.length * 1000) / RATE_WINDOW_MS;
}
