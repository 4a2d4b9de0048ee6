// Requests turned away, counted by why, for /status and a Prometheus counter: a flood of junk shows up as it
// happens, by reason.
import { Counter, type Registry } from "prom-client";

/**
 * malformed: a 400 for a path or request that is not a job; impossible: a 400 for more work than any identity
 * needs; busy: another job runs (the worker) or the database is failing (the pool); queue-full, queue-share: the
 * pool's queue, in all or this address's share of it; unauthorized: no or wrong --auth credentials; guessing:
 * credentials from an address held off after wrong ones, not checked; forbidden: a DELETE from another machine
 * without --auth.
 */
export type Refusal = "malformed" | "impossible" | "busy" | "queue-full" | "queue-share" | "unauthorized" | "guessing" | "forbidden";

export const WORKER_REFUSALS: readonly Refusal[] = ["malformed", "impossible", "busy", "unauthorized", "guessing", "forbidden"];
export const POOL_REFUSALS: readonly Refusal[] = ["malformed", "impossible", "busy", "queue-full", "queue-share", "unauthorized", "guessing", "forbidden"];

export class Refusals {
  private readonly counts = new Map<Refusal, number>();
  private readonly counter: Counter;

  constructor(reasons: readonly Refusal[], registry: Registry, name: string) {
    this.counter = new Counter({ name, help: "Requests refused since start, by reason.", labelNames: ["reason"], registers: [registry] });
    for (const reason of reasons) {
      this.counts.set(reason, 0);
      this.counter.inc({ reason }, 0);
    }
  }

  count(reason: Refusal): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.counter.inc({ reason });
  }

  /** For /status: every reason, with its count. */
  snapshot(): Partial<Record<Refusal, number>> {
    return Object.fromEntries(this.counts);
  }
}
