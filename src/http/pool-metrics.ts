// Prometheus metrics of the pool: gauges read from the coordinator's status when scraped, and job outcomes and
// dropped workers counted as its events arrive.
import { Counter, Gauge, Registry } from "prom-client";
import type { Events } from "../jobs/job-api";
import type { PoolEvent, PoolStatus } from "../pool/coordinator";

export function poolMetrics(pool: { status(): PoolStatus }, events: Events<PoolEvent>) {
  const registry = new Registry();
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge("k2pow_pool_workers", "Workers connected.", () => pool.status().totals.workers);
  gauge("k2pow_pool_hash_rate", "Hashes per second of all workers, from the shares the pool checked.", () => pool.status().totals.hashRate);
  gauge("k2pow_pool_queue_length", "Jobs queued or running.", () => pool.status().totals.queued);
  const jobs = new Counter({ name: "k2pow_pool_jobs_total", help: "Jobs finished since start, by outcome.", labelNames: ["outcome"], registers: [registry] });
  for (const outcome of ["done", "failed", "cancelled"]) jobs.inc({ outcome }, 0);
  const dropped = new Counter({ name: "k2pow_pool_workers_dropped_total", help: "Workers disconnected for bad work or silence.", registers: [registry] });
  const refused = new Counter({
    name: "k2pow_pool_connections_refused_total",
    help: "Worker connections refused before joining, by close code (4001 token or protocol, 4006 crowded, 4007 held off).",
    labelNames: ["code"],
    registers: [registry],
  });
  events.subscribe((event) => {
    if (event.type === "done" || event.type === "failed" || event.type === "cancelled") jobs.inc({ outcome: event.type });
    if (event.type === "dropped") dropped.inc();
  });
  return { registry, refused };
}
