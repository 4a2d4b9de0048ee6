// The one rule for addresses that offend (a wrong worker token, a wrong --auth password, a worker caught lying): the
// first offence holds the address off for firstPenaltyMs, each further one doubles it up to maxPenaltyMs, and an
// address is forgiven forgetMs after its last offence. While held off, what it sends is not even checked, so guessing
// costs a guesser a hold-off per guess. Pure logic on an injected clock; keys are addressKey()s (an IPv6 /64).

export interface HoldOffLimits {
  firstPenaltyMs: number;
  maxPenaltyMs: number;
  /** An address's offences are forgotten this long after its last one. */
  forgetMs: number;
  /** Addresses remembered at most; past that the longest quiet is forgotten first. */
  maxTracked: number;
}

export const HOLD_OFF_LIMITS: HoldOffLimits = { firstPenaltyMs: 1000, maxPenaltyMs: 60_000, forgetMs: 15 * 60_000, maxTracked: 4096 };

interface Standing<Offence> {
  offences: number;
  last: Offence;
  lastAt: number;
  /** Held off until then. */
  until: number;
}

export class HoldOffs<Offence extends string> {
  /** In order of last offence, oldest first: the order they are forgotten in. */
  private readonly records = new Map<string, Standing<Offence>>();

  constructor(
    private readonly now: () => number,
    private readonly limits: HoldOffLimits = HOLD_OFF_LIMITS,
  ) {}

  /** Whole seconds left of `key`'s hold-off and the offence that caused it, or null when it is not held off. */
  heldOff(key: string): { seconds: number; last: Offence } | null {
    const record = this.current(key);
    if (record === undefined || this.now() >= record.until) return null;
    return { seconds: Math.ceil((record.until - this.now()) / 1000), last: record.last };
  }

  offend(key: string, offence: Offence): void {
    const now = this.now();
    const offences = (this.current(key)?.offences ?? 0) + 1;
    const penalty = Math.min(this.limits.maxPenaltyMs, this.limits.firstPenaltyMs * 2 ** Math.min(offences - 1, 30));
    // Re-inserted, so the map stays ordered by last offence.
    this.records.delete(key);
    this.records.set(key, { offences, last: offence, lastAt: now, until: now + penalty });
    for (const [oldest] of this.records) {
      if (this.records.size <= this.limits.maxTracked) break;
      this.records.delete(oldest);
    }
  }

  /** Addresses remembered: for tests and status. */
  get tracked(): number {
    return this.records.size;
  }

  /** The address's record, unless it has been quiet long enough to be forgotten. */
  private current(key: string): Standing<Offence> | undefined {
    const record = this.records.get(key);
    if (record !== undefined && this.now() - record.lastAt > this.limits.forgetMs) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }
}
