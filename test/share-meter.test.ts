// The proven hash rate, which sizes every range a worker gets, against a rate known by construction: a simulated
// worker hashes at a set speed, each hash is a share with the range's odds, the pool checks a random part of them,
// and the meter must come back with the speed it was given, within what chance allows for that many shares. Seeded.
import { expect, test } from "bun:test";
import { ShareMeter } from "../src/pool/share-meter";
import { seededRandom } from "./support/seeded-random";

const RANGE_MS = 5_000;
const HASHES_PER_SHARE = 70;

/**
 * `ranges` ranges of RANGE_MS at `rate` hashes a second, `idleMs` between them; each share checked with odds
 * `sampled`. Gives the time at the end and how many shares were checked.
 */
function work(meter: ShareMeter, rnd: () => number, from: number, ranges: number, rate: number, sampled: number, idleMs = 0) {
  let now = from;
  let checked = 0;
  for (let r = 0; r < ranges; r++) {
    const hashes = Math.round((rate * RANGE_MS) / 1000);
    for (let h = 0; h < hashes; h++) {
      if (rnd() >= 1 / HASHES_PER_SHARE || rnd() >= sampled) continue;
      meter.addShare(HASHES_PER_SHARE / sampled, now + (h / hashes) * RANGE_MS);
      checked++;
    }
    now += RANGE_MS;
    meter.addBusy(RANGE_MS, now);
    now += idleMs;
  }
  return { now, checked };
}

/** Five standard deviations of a rate estimated from `shares` checked shares. */
const tolerance = (rate: number, shares: number) => (5 * rate) / Math.sqrt(shares);

test("the proven rate is the speed the worker hashed at, whatever part of its shares is checked, idle time aside", () => {
  for (const [seed, rate, sampled, idleMs] of [
    [1, 1000, 1, 0],
    [2, 1000, 0.25, 0],
    [3, 40, 1, 0],
    [4, 5000, 0.05, 2_000],
  ] as const) {
    const meter = new ShareMeter();
    const { now, checked } = work(meter, seededRandom(seed), 0, 150, rate, sampled, idleMs);
    const measured = meter.rate(now)!;
    expect(Math.abs(measured - rate), `seed ${seed}: ${measured.toFixed(1)} H/s from ${checked} shares, hashed at ${rate}`).toBeLessThan(tolerance(rate, checked));
  }
});

test("the proven rate follows a worker that slows down once its faster shares leave the 15-minute window", () => {
  const meter = new ShareMeter();
  const rnd = seededRandom(7);
  const fast = work(meter, rnd, 0, 180, 2000, 0.5);
  const slow = work(meter, rnd, fast.now, 90, 1000, 0.5);
  // Half the window each: in between.
  const mixed = meter.rate(slow.now)!;
  expect(mixed).toBeGreaterThan(1000 + tolerance(1000, slow.checked));
  expect(mixed).toBeLessThan(2000 - tolerance(2000, fast.checked));
  const later = work(meter, rnd, slow.now, 90, 1000, 0.5);
  const settled = meter.rate(later.now)!;
  expect(Math.abs(settled - 1000), `${settled.toFixed(1)} H/s`).toBeLessThan(tolerance(1000, slow.checked + later.checked));
});

test("no checked share, no rate: the worker's own word is never a proven rate", () => {
  const meter = new ShareMeter();
  meter.addBusy(RANGE_MS, 10_000);
  expect(meter.rate(10_000)).toBeNull();
  meter.addShare(HASHES_PER_SHARE, 20_000);
  // Gone from the window, a share proves nothing any more.
  expect(meter.rate(20_000 + 15 * 60_000 + 1)).toBeNull();
});
