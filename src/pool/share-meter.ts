// A worker's hash rate as the pool knows it: from shares the pool checked itself, never from what the worker says.
// Each share stands for the hashes it takes on average to find one (2^256 / share target); summed over a sliding
// window and divided by the time the worker spent on ranges in it, that is the rate.

/** How far back the rate looks. */
export const WINDOW_MS = 15 * 60_000;
const TWO_256 = 2 ** 256;

export class ShareMeter {
  private shares: { at: number; weight: number }[] = [];
  private busy: { at: number; ms: number }[] = [];
  accepted = 0;

  /** A checked share found against `target`; `sampled` is the share of shares that get checked (0 < sampled ≤ 1). */
  addShare(target: bigint, sampled: number, at: number): void {
    this.shares.push({ at, weight: TWO_256 / Number(target) / sampled });
    this.accepted++;
  }

  /** Time spent on a range, added when the range ends. */
  addBusy(ms: number, at: number): void {
    this.busy.push({ at, ms });
  }

  /** Hashes per second over the window; null until it rests on `minShares` shares. */
  rate(now: number, minShares = 1): number | null {
    const since = now - WINDOW_MS;
    while (this.shares.length > 0 && this.shares[0]!.at < since) this.shares.shift();
    while (this.busy.length > 0 && this.busy[0]!.at < since) this.busy.shift();
    if (this.shares.length < minShares) return null;
    const busyMs = this.busy.reduce((sum, b) => sum + b.ms, 0);
    if (busyMs < 1000) return null;
    return (this.shares.reduce((sum, s) => sum + s.weight, 0) * 1000) / busyMs;
  }

  /** Shares in the window. */
  get count(): number {
    return this.shares.length;
  }
}

/** The target at which a worker hashing `rate` per second finds about one share every `seconds`. */
export function shareTargetFor(rate: number, seconds: number): bigint {
  const hashes = Math.max(1, rate * seconds);
  const target = BigInt(Math.floor(TWO_256 / hashes / 2 ** 32)) << 32n;
  const max = (1n << 256n) - 1n;
  return target > max ? max : target < 1n ? 1n : target;
}
