// A worker's coverage record (whether each of its last COVERAGE_WINDOW fully checked claims was proven, and which
// connection made it) outlives its connection: it is kept by the worker's address for a while after it goes, and
// taken up by the next worker to join from there. Otherwise a worker that searches part of each range would start
// clean by reconnecting before its fifth thin claim, or before its claims are weighed at all (their checks can come
// minutes after it left). Keyed by address, not by name: a name is the worker's word. When a record reaches the
// coverage rule's bar, every connection with a thin claim in it is caught; one that took the record up without a
// thin claim of its own is not (behind one NAT it may be an honest neighbour).
import { addressKey } from "../net/address-scope";
import { HOLD_OFF_LIMITS } from "../net/hold-offs";
import { DEFAULT_LIMITS } from "./admission";
import type { Clock } from "./clock";
import { COVERAGE_WINDOW } from "./proof-audit";

/** How long a record waits for its worker: as long as the pool remembers an offence. */
const KEPT_MS = HOLD_OFF_LIMITS.forgetMs;
/**
 * Records kept at most, one a worker the pool takes by default (--max-workers); past it the one kept longest goes. A
 * kept record holds on to the connections named in it (to catch them), about 20 KiB each with their last ranges.
 */
export const MAX_KEPT = DEFAULT_LIMITS.maxWorkers;

/** `By` names the connection that made a claim: a WorkerSession in the pool. */
export class CoverageRecord<By> {
  private readonly outcomes: { proven: boolean; by: By }[] = [];

  /** A fully checked claim of connection `by`: proven, or thin. */
  add(proven: boolean, by: By): void {
    this.outcomes.push({ proven, by });
    if (this.outcomes.length > COVERAGE_WINDOW) this.outcomes.shift();
  }

  /** Of its last COVERAGE_WINDOW fully checked claims, those that covered their ranges too thinly. */
  get thin(): number {
    return this.outcomes.filter((o) => !o.proven).length;
  }

  /** The connections with a thin claim in it, and how many each. */
  thinBy(): Map<By, number> {
    const counts = new Map<By, number>();
    for (const { proven, by } of this.outcomes) if (!proven) counts.set(by, (counts.get(by) ?? 0) + 1);
    return counts;
  }

  /** Those connections were caught for it: the next connection from its address starts clean. */
  clear(): void {
    this.outcomes.length = 0;
  }
}

export class CoverageRecords<By> {
  /** By address key, in the order kept (the longest kept first). */
  private readonly kept = new Map<string, { record: CoverageRecord<By>; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit = MAX_KEPT,
  ) {}

  /** The record of a worker joining from `address`: one kept there and not yet forgotten, or a new one. */
  take(address: string): CoverageRecord<By> {
    const key = addressKey(address);
    const kept = this.kept.get(key);
    this.kept.delete(key);
    return kept !== undefined && kept.until >= this.clock.now() ? kept.record : new CoverageRecord<By>();
  }

  /**
   * A worker left from `address`: its record is kept, unless one kept there holds more thin claims. Kept even without
   * a thin claim: claims of the worker's still being checked land in it later.
   */
  keep(address: string, record: CoverageRecord<By>): void {
    const key = addressKey(address);
    const kept = this.kept.get(key);
    if (kept !== undefined && kept.until >= this.clock.now() && kept.record.thin > record.thin) return;
    this.kept.delete(key);
    this.kept.set(key, { record, until: this.clock.now() + KEPT_MS });
    if (this.kept.size > this.limit) this.kept.delete(this.kept.keys().next().value!);
  }

  get size(): number {
    return this.kept.size;
  }
}
