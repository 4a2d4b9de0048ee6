// Hashes per second over a sliding window, from samples of a growing hash counter.

export class HashRateMeter {
  private samples: { at: number; hashes: bigint }[] = [];

  constructor(private readonly windowMs = 10_000) {}

  sample(hashes: bigint, at = performance.now()): void {
    this.samples.push({ at, hashes });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= this.windowMs) this.samples.shift();
  }

  /** Hashes per second across the window; 0 until there are two samples. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return 0;
    return (Number(last.hashes - first.hashes) * 1000) / (last.at - first.at);
  }
}
