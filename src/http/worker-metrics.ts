// Prometheus metrics of the worker: gauges read from its status when scraped, and job outcomes counted as its
// events arrive.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { WorkerJobApi } from "../jobs/worker-api";

export function workerMetrics(jobs: WorkerJobApi): Registry {
  const registry = new Registry();
  let hashesSeen = 0n;
  new Counter({
    name: "k2pow_hashes_total",
    help: "RandomX hashes computed since start, all threads.",
    registers: [registry],
    collect() {
      const now = jobs.status().hashes;
      this.inc(Number(now - hashesSeen));
      hashesSeen = now;
    },
  });
  new Gauge({
    name: "k2pow_hash_rate",
    help: "Hashes per second over the last 10 seconds.",
    registers: [registry],
    collect() {
      this.set(jobs.status().hashRate);
    },
  });
  new Gauge({
    name: "k2pow_job_running",
    help: "1 while a job is being worked on.",
    registers: [registry],
    collect() {
      this.set(jobs.status().job === null ? 0 : 1);
    },
  });
  new Gauge({
    name: "k2pow_job_running_seconds",
    help: "How long the running job has run, from its first request (0 when there is none).",
    registers: [registry],
    collect() {
      this.set(jobs.status().job?.seconds ?? 0);
    },
  });
  new Gauge({
    name: "k2pow_job_expected_hashes",
    help: "Hashes the running job is expected to take (0 when there is none); over k2pow_hash_rate, its expected time.",
    registers: [registry],
    collect() {
      this.set(jobs.status().job?.expectedHashes ?? 0);
    },
  });
  new Gauge({
    name: "k2pow_dataset_build_seconds",
    help: "How long the fast-mode dataset took to build (absent in light mode or while building).",
    registers: [registry],
    collect() {
      const { dataset } = jobs.status();
      if (dataset.state !== "none" && dataset.buildSeconds !== null) this.set(dataset.buildSeconds);
    },
  });
  const outcomes = new Counter({
    name: "k2pow_jobs_total",
    help: "Jobs finished, by outcome.",
    labelNames: ["outcome"],
    registers: [registry],
  });
  outcomes.inc({ outcome: "done" }, 0);
  outcomes.inc({ outcome: "failed" }, 0);
  const durations = new Histogram({
    name: "k2pow_job_duration_seconds",
    help: "Time from a job's first request to its answer (including any wait for the dataset).",
    labelNames: ["outcome"],
    buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800],
    registers: [registry],
  });
  jobs.subscribe((event) => {
    if (event.type !== "done" && event.type !== "failed") return;
    outcomes.inc({ outcome: event.type });
    durations.observe({ outcome: event.type }, event.seconds);
  });
  return registry;
}
