// A worker's hash rate as the pool knows it: from shares the pool checked itself, never from what the worker says.
// Each checked share stands for the hashes it takes on average to find one (the few checked of a range not audited,
// for all of that range's shares); summed over a sliding window and divided by the time the worker spent on ranges in
// it, that is the rate. The range a worker is searching is left out until it leaves it: its shares are checked as they
// come only when it is audited, so a rate that moved with them would tell the worker so (whatever reads /status).

/** How far back the rate looks. */
const WINDOW_MS = 15 * 60_000;

export class ShareMeter {
  private shares: { at: number; hashes: number; range: number }[] = [];
  private busy: { at: number; ms: number }[] = [];

  /** A checked share of range `range` (its id) that stands for `hashes` hashes. */
  addShare(hashes: number, at: number, range: number): void {
    this.shares.push({ at, hashes, range });
  }

  /** Time spent on a range, added when the range ends. */
  addBusy(ms: number, at: number): void {
    this.busy.push({ at, ms });
  }

  /**
   * Hashes per second over the window, from the ranges the worker has left (their time is added as each ends: range
   * `underWay`'s shares wait for its); null before the first checked share of one.
   */
  rate(now: number, underWay: number | null = null): number | null {
    const since = now - WINDOW_MS;
    while (this.shares.length > 0 && this.shares[0]!.at < since) this.shares.shift();
    while (this.busy.length > 0 && this.busy[0]!.at < since) this.busy.shift();
    let hashes = 0;
    let counted = 0;
    for (const share of this.shares) {
      if (share.range === underWay) continue;
      hashes += share.hashes;
      counted++;
    }
    if (counted === 0) return null;
    const busyMs = Math.max(1, this.busy.reduce((sum, b) => sum + b.ms, 0));
    return (hashes * 1000) / busyMs;
  }

  /** Checked shares in the window. */
  get count(): number {
    return this.shares.length;
  }
}
