// How long a worker's range lasts, by the size of the fleet: long enough that every share the fleet sends can be
// checked. Each range yields EXPECTED_SHARES shares whatever its length, so a fleet of n workers on ranges of T
// seconds sends 72·n/T shares a second; a claim is proven, and its coverage weighed, only when every one of its
// shares was checked, within the part of the verifier's capacity shares may take (SHARE_BUDGET; ranges are sized
// for a little less, RANGE_BUDGET). On a two-thread
// fast-mode verifier (~650 checks a second) ranges stay at RANGE_SECONDS up to 18 workers; in light mode
// (~80 a second) they grow from 3. Past that they grow with the fleet, up to MAX_RANGE_SECONDS, beyond which the
// verifier needs more threads (only the audited ranges are then proven: proof-audit.ts). A job ends as soon as a
// nonce is found whatever the ranges' length. What long ranges cost: a worker that leaves gives back its whole
// unfinished range, a restarted pool resumes from the lowest nonce not proven searched, and a worker that lies or goes
// silent holds its range longer before it is found out.
import { EXPECTED_SHARES } from "./proof-audit";

/** Seconds of work in a worker's first range (sized from a low guess of its speed), and the shortest later one. */
export const FIRST_RANGE_SECONDS = 1;
export const RANGE_SECONDS = 5;
/** The longest: well inside the 15 minutes over which a worker's rate is measured (share-meter.ts). */
export const MAX_RANGE_SECONDS = 600;

/**
 * The part of the verifier's capacity ranges are sized to fill with shares: under SHARE_BUDGET, the most the audit
 * gives them, so that the share rate's swings (workers joining, leaving, ranges ending together) stay within it and
 * every range is audited.
 */
export const RANGE_BUDGET = 0.4;

/**
 * Seconds of work in a worker's first range, at the low guess of its speed: FIRST_RANGE_SECONDS while ranges are
 * at their shortest, and grown with them past that. A fleet joining at once sends every first range's shares within
 * about that time: a second's worth from a thousand workers would be 72,000 shares for a verifier of a few hundred
 * checks a second.
 */
export function firstRangeSeconds(workers: number, capacity: number | null): number {
  return (FIRST_RANGE_SECONDS * rangeSeconds(workers, capacity)) / RANGE_SECONDS;
}

/** Seconds of work in a later range of a fleet of `workers`, for a verifier of `capacity` checks a second. */
export function rangeSeconds(workers: number, capacity: number | null): number {
  if (capacity === null || capacity <= 0) return RANGE_SECONDS;
  const seconds = (EXPECTED_SHARES * workers) / (RANGE_BUDGET * capacity);
  return Math.min(MAX_RANGE_SECONDS, Math.max(RANGE_SECONDS, seconds));
}
