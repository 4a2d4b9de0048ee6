// A worker's hash rate as the pool knows it: from shares the pool checked itself, never from what the worker says.
// Each checked share stands for the hashes it takes on average to find one (the few checked of a range not audited,
// for all of that range's shares); summed over a sliding window and divided by the time the worker spent on ranges in
// it, that is the rate. A range counts once the worker has left it, its shares and its time (WorkerSession.searching).

/** How far back the rate looks. */
const WINDOW_MS = 15 * 60_000;

export class ShareMeter {
  private shares: { at: number; hashes: number }[] = [];
  private busy: { at: number; ms: number }[] = [];

  /** A checked share that stands for `hashes` hashes. */
  addShare(hashes: number, at: number): void {
    this.shares.push({ at, hashes });
  }

  /** Time spent on a range, added when the range ends. */
  addBusy(ms: number, at: number): void {
    this.busy.push({ at, ms });
  }

  /** Hashes per second over the window; null before the first checked share. */
  rate(now: number): number | null {
    const since = now - WINDOW_MS;
    while (this.shares.length > 0 && this.shares[0]!.at < since) this.shares.shift();
    while (this.busy.length > 0 && this.busy[0]!.at < since) this.busy.shift();
    if (this.shares.length === 0) return null;
    const busyMs = Math.max(1, this.busy.reduce((sum, b) => sum + b.ms, 0));
    return (this.shares.reduce((sum, s) => sum + s.hashes, 0) * 1000) / busyMs;
  }

  /** Checked shares in the window. */
  get count(): number {
    return this.shares.length;
  }
}
