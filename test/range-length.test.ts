// The range-length rule (src/pool/range-length.ts) at fleet sizes from 1 to 10,000: ranges stay at 5 s while the
// verifier can check every share, grow with the fleet past that so that the shares asked stay within its share
// budget, and stop growing at 10 minutes. Checked against the arithmetic, not against the rule's own output.
import { expect, test } from "bun:test";
import { EXPECTED_SHARES, SHARE_BUDGET } from "../src/pool/proof-audit";
import { FIRST_RANGE_SECONDS, firstRangeSeconds, MAX_RANGE_SECONDS, RANGE_BUDGET, RANGE_SECONDS, rangeSeconds } from "../src/pool/range-length";

/** A fast-mode verifier on two threads here (bench/verifier.ts), and one on 16. */
const CAPACITIES = [650, 5_200];
const SIZES = [1, 2, 3, 10, 20, 22, 23, 50, 100, 500, 1_000, 2_000, 5_000, 10_000];

test("a fleet small enough for the verifier to check every share gets the 5 s ranges, whatever its size up to that", () => {
  // 72 shares a range, every 5 s, per worker: 14.4 shares a second each; ranges are sized for 0.4 of 650 checks a
  // second, 260: 18 workers.
  for (const workers of [1, 2, 3, 10, 18]) expect(rangeSeconds(workers, 650)).toBe(5);
  expect(rangeSeconds(19, 650)).toBeGreaterThan(5);
  // Before the verifier is measured, nothing to size by: the shortest.
  for (const workers of SIZES) expect(rangeSeconds(workers, null)).toBe(RANGE_SECONDS);
});

test("from 1 to 10,000 workers, the shares the fleet sends stay within the verifier's share budget until ranges reach 10 minutes", () => {
  // Sized under the audit's budget, so that the share rate's swings leave every range audited.
  expect(RANGE_BUDGET).toBeLessThan(SHARE_BUDGET);
  for (const capacity of CAPACITIES) {
    let previous = 0;
    for (const workers of SIZES) {
      const seconds = rangeSeconds(workers, capacity);
      expect(seconds).toBeGreaterThanOrEqual(RANGE_SECONDS);
      expect(seconds).toBeLessThanOrEqual(MAX_RANGE_SECONDS);
      // Never shorter for a larger fleet.
      expect(seconds).toBeGreaterThanOrEqual(previous);
      previous = seconds;
      const sharesPerSecond = (workers * EXPECTED_SHARES) / seconds;
      if (seconds < MAX_RANGE_SECONDS) expect(sharesPerSecond).toBeLessThanOrEqual(0.4 * capacity + 1e-9);
      // Not longer than the budget needs: at the shortest, or using the budget whole.
      if (seconds > RANGE_SECONDS && seconds < MAX_RANGE_SECONDS) expect(sharesPerSecond).toBeCloseTo(0.4 * capacity, 6);
    }
  }
  // The figures the README gives: 1,000 workers on a two-thread verifier, 277 s; 10,000, the 10-minute cap (on 16
  // threads, 346 s).
  expect(rangeSeconds(1_000, 650)).toBeCloseTo(276.9, 1);
  expect(rangeSeconds(10_000, 650)).toBe(600);
  expect(rangeSeconds(10_000, 5_200)).toBeCloseTo(346.2, 1);
});

test("a first range is a fifth of a later one: 1 s while ranges are 5 s, grown with them past that", () => {
  for (const workers of [1, 10, 18]) expect(firstRangeSeconds(workers, 650)).toBe(FIRST_RANGE_SECONDS);
  for (const capacity of CAPACITIES) {
    for (const workers of SIZES) expect(firstRangeSeconds(workers, capacity)).toBeCloseTo(rangeSeconds(workers, capacity) / 5, 9);
  }
  // 1,000 workers on a two-thread verifier: 55 s at the guess, so that their first ranges' 72,000 shares come over
  // about a minute rather than a second.
  expect(firstRangeSeconds(1_000, 650)).toBeCloseTo(55.4, 1);
  expect(firstRangeSeconds(10_000, 650)).toBe(120);
});
