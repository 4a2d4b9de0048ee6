// "Proven" means searched: the rule a claim must meet (proofOf, at the pool's real constants) against searches whose
// shares fall as a real search's do — at random, Poisson in number, EXPECTED_SHARES for a whole range — honest ones
// and ones of half the range, in one piece or every other nonce. Both exactly (Poisson sums) and by simulation with
// a seeded generator, so the figures in docs/pool-protocol.md and the README are what the code does.
import { describe, expect, test } from "bun:test";
import { EXPECTED_SHARES, PART_SHARES, PROOF_PARTS, PROVEN_SHARES, proofOf } from "../src/pool/proof-audit";
import { seededRandom } from "./support/seeded-random";

function poisson(mean: number, random: () => number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k++;
  return k;
}

const pmf = (k: number, mean: number) => Math.exp(k * Math.log(mean) - mean - lgamma(k + 1));
function lgamma(n: number): number {
  let sum = 0;
  for (let i = 2; i < n; i++) sum += Math.log(i);
  return sum;
}
/** P(Poisson(mean) < k). */
const below = (k: number, mean: number) => Array.from({ length: k }, (_, i) => pmf(i, mean)).reduce((a, b) => a + b, 0);

const RANGE = { start: 1_000_000n, count: 1152n };

/**
 * The shares a search of the nonces `searched` picks finds: a Poisson number for their count, each at one of
 * them, at random, all checked (a share that fails a check drops its worker instead).
 */
function search(searched: (i: number) => bigint, nonces: number, random: () => number): bigint[] {
  const mean = (EXPECTED_SHARES * nonces) / Number(RANGE.count);
  const shares = new Set<bigint>();
  const n = poisson(mean, random);
  while (shares.size < n) shares.add(searched(Math.floor(random() * nonces)));
  return [...shares];
}

const whole = (i: number) => RANGE.start + BigInt(i);
const firstHalf = whole;
const secondHalf = (i: number) => RANGE.start + RANGE.count / 2n + BigInt(i);
const everyOther = (i: number) => RANGE.start + 2n * BigInt(i);
const HALF = Number(RANGE.count) / 2;

function provenRate(trials: number, seed: number, searched: (i: number) => bigint, nonces: number): number {
  const random = seededRandom(seed);
  let proven = 0;
  for (let t = 0; t < trials; t++) {
    const shares = search(searched, nonces, random);
    if (proofOf(RANGE, shares, shares.length).proven) proven++;
  }
  return proven / trials;
}

describe("a claim is proven only when its shares show the range searched", () => {
  test("exactly: an honest search is proven at least 99% of the time, a half search (however chosen) at most 1%", () => {
    const partMean = EXPECTED_SHARES / PROOF_PARTS;
    const honestUnproven = below(PROVEN_SHARES, EXPECTED_SHARES) + PROOF_PARTS * below(PART_SHARES, partMean);
    expect(honestUnproven).toBeLessThan(0.01);
    // Half the range, whichever half: its shares number PROVEN_SHARES or more at most this often.
    const halfProven = 1 - below(PROVEN_SHARES, EXPECTED_SHARES / 2);
    expect(halfProven).toBeLessThan(0.01);
    // The docs' figures.
    expect(honestUnproven.toFixed(4)).toBe("0.0061");
    expect(halfProven.toFixed(4)).toBe("0.0071");
  });

  test("simulated: 20,000 honest searches are proven 99% of the time or more", () => {
    expect(provenRate(20_000, 1, whole, Number(RANGE.count))).toBeGreaterThanOrEqual(0.99);
  });

  test("simulated: searches of every other nonce (half, scattered) are proven at most 1% of the time", () => {
    expect(provenRate(50_000, 2, everyOther, HALF)).toBeLessThanOrEqual(0.01);
  });

  test("a search of the first or the second half, or one that skips any quarter in one piece, is never proven", () => {
    expect(provenRate(5_000, 3, firstHalf, HALF)).toBe(0);
    expect(provenRate(5_000, 4, secondHalf, HALF)).toBe(0);
    for (let skipped = 0; skipped < PROOF_PARTS; skipped++) {
      const quarter = Number(RANGE.count) / PROOF_PARTS;
      const searched = (i: number) => RANGE.start + BigInt(i < skipped * quarter ? i : i + quarter);
      expect(provenRate(2_000, 5 + skipped, searched, Number(RANGE.count) - quarter)).toBe(0);
    }
  });

  test("a claim with any share unchecked is not proven, and its strength says how much was checked", () => {
    const shares = search(whole, Number(RANGE.count), seededRandom(9));
    expect(shares.length).toBeGreaterThanOrEqual(PROVEN_SHARES);
    expect(proofOf(RANGE, shares, shares.length)).toEqual({ proven: true, strength: 1 });
    expect(proofOf(RANGE, shares, shares.length - 1)).toEqual({ proven: false, strength: (shares.length - 1) / shares.length });
    expect(proofOf(RANGE, [], 0)).toEqual({ proven: false, strength: 0 });
  });
});
