// The most work one request may ask for. post-service asks for its default difficulty divided by the identity's
// space units (SPEC §2): 4,687.5 expected hashes per unit and nonce group. A job far beyond what any identity needs
// is junk, and taking it would hold a worker, or the head of a pool's queue, for nothing.
import { expectedHashes, postServiceDifficulty } from "../engine/k2pow-rule";

/**
 * 2^20 space units (64 PiB): a generous largest identity. A proof reads all of an identity's data within its
 * proving window, and even 10 GB/s for 12 hours reads about 6,600 units, so no identity comes near.
 */
export const LARGEST_UNITS = 2 ** 20;

/** post-service's difficulty for the largest identity, in expected hashes: 4,915,200,000 (about 2^32.2). */
export const DEFAULT_MAX_EXPECTED_HASHES = expectedHashes(postServiceDifficulty(LARGEST_UNITS));

const PER_UNIT = expectedHashes(postServiceDifficulty(1));

/** Beyond this no machine finishes: 2^64 hashes take 584 years at a billion hashes a second. */
const HOPELESS = 2 ** 64;

/** Why a job of this difficulty is refused under the bound of `max` expected hashes; null when it is not. */
export function tooMuchWork(difficulty: Uint8Array, max: number): string | null {
  const expected = expectedHashes(difficulty);
  if (expected <= max) return null;
  const why =
    expected >= HOPELESS
      ? "longer than any proving window on any machine"
      : `more than post-service asks of any identity (${PER_UNIT.toLocaleString("en-US")} per space unit)`;
  return `the difficulty needs about ${hashes(expected)} hashes: ${why}; jobs are taken up to ${hashes(max)} (--max-expected-hashes)`;
}

/** A count of hashes as a user reads it: digits while they are few, a power of two past that. */
function hashes(n: number): string {
  return n < 2 ** 40 ? Math.round(n).toLocaleString("en-US") : `2^${Math.round(Math.log2(n))}`;
}
