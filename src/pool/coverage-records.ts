// A worker's coverage record (whether each of its last COVERAGE_WINDOW fully checked claims was proven) outlives its
// connection: a record with a thin claim in it is kept by the worker's address for a while after it goes, and taken up
// by the next worker to join from there. Otherwise a worker that searches part of each range and reconnects before
// its fifth thin claim would start clean every time. Keyed by address, not by name: a name is the worker's word. An
// honest worker that takes up a neighbour's record (behind one NAT) takes up claims of the same kind as its own,
// proven all but 0.61% of the time; a record tells the rule nothing more than a longer connection would.
import { addressKey } from "../net/address-scope";
import { HOLD_OFF_LIMITS } from "../net/hold-offs";
import type { Clock } from "./clock";
import { COVERAGE_WINDOW } from "./proof-audit";

/** How long a record waits for its worker: as long as the pool remembers an offence. */
const KEPT_MS = HOLD_OFF_LIMITS.forgetMs;
/** Records kept at most; past it the one kept longest goes. */
export const MAX_KEPT = 20_000;

export class CoverageRecord<Holder = unknown> {
  private readonly outcomes: boolean[] = [];
  /**
   * The connection it counts for now. A claim of an earlier one checked after it left still counts here, and so
   * catches the connection that took its record up.
   */
  holder: Holder | null = null;

  /** A fully checked claim: proven, or thin. */
  add(proven: boolean): void {
    this.outcomes.push(proven);
    if (this.outcomes.length > COVERAGE_WINDOW) this.outcomes.shift();
  }

  /** Of its last COVERAGE_WINDOW fully checked claims, those that covered their ranges too thinly. */
  get thin(): number {
    return this.outcomes.filter((proven) => !proven).length;
  }

  /** Its worker was caught for it: the next connection from its address starts clean, as after any catch. */
  clear(): void {
    this.outcomes.length = 0;
  }
}

export class CoverageRecords<Holder> {
  /** By address key, in the order kept (the longest kept first). */
  private readonly kept = new Map<string, { record: CoverageRecord<Holder>; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit = MAX_KEPT,
  ) {}

  /** The record of a worker joining from `address`: one kept there and not yet forgotten, or a new one. */
  take(address: string): CoverageRecord<Holder> {
    const key = addressKey(address);
    const kept = this.kept.get(key);
    this.kept.delete(key);
    return kept !== undefined && kept.until >= this.clock.now() ? kept.record : new CoverageRecord<Holder>();
  }

  /**
   * Its holder left from `address`. Kept if it holds a thin claim (one without says no more than a new record) and
   * no fewer than one still kept there.
   */
  keep(address: string, record: CoverageRecord<Holder>): void {
    record.holder = null;
    const key = addressKey(address);
    const kept = this.kept.get(key);
    if (record.thin === 0 || (kept !== undefined && kept.until >= this.clock.now() && kept.record.thin > record.thin)) return;
    this.kept.delete(key);
    this.kept.set(key, { record, until: this.clock.now() + KEPT_MS });
    if (this.kept.size > this.limit) this.kept.delete(this.kept.keys().next().value!);
  }

  get size(): number {
    return this.kept.size;
  }
}
