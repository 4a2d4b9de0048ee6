// Prometheus metrics of the worker: gauges set from one reading of its status per scrape, and job outcomes counted
// as its events arrive.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { WorkerJobApi } from "../jobs/worker-api";

export function workerMetrics(jobs: WorkerJobApi) {
  const registry = new Registry();
  const registers = [registry];
  const hashes = new Counter({ name: "k2pow_hashes_total", help: "RandomX hashes computed since start, all threads.", registers });
  let hashesSeen = 0;
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
  const hashRate = gauge("k2pow_hash_rate", "Hashes per second over the last 10 seconds.");
  const running = gauge("k2pow_job_running", "1 while a job is being worked on.");
  const runningSeconds = gauge("k2pow_job_running_seconds", "How long the running job has run, from its first request (0 when there is none).");
  const expected = gauge(
    "k2pow_job_expected_hashes",
    "Hashes the running job is expected to take (0 when there is none); over k2pow_hash_rate, its expected time.",
  );
  const buildSeconds = gauge("k2pow_dataset_build_seconds", "How long the fast-mode dataset took to build (absent in light mode, while building, or when loaded).");
  const readySeconds = new Gauge({
    name: "k2pow_dataset_ready_seconds",
    help: "How long the fast-mode dataset took to be ready, by source: built here, or loaded from its file (absent in light mode).",
    labelNames: ["source"],
    registers,
  });
  const outcomes = new Counter({ name: "k2pow_jobs_total", help: "Jobs finished, by outcome.", labelNames: ["outcome"], registers });
  outcomes.inc({ outcome: "done" }, 0);
  outcomes.inc({ outcome: "failed" }, 0);
  const durations = new Histogram({
    name: "k2pow_job_duration_seconds",
    help: "Time from a job's first request to its answer (including any wait for the dataset).",
    labelNames: ["outcome"],
    buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800],
    registers,
  });
  jobs.subscribe((event) => {
    if (event.type !== "done" && event.type !== "failed") return;
    outcomes.inc({ outcome: event.type });
    durations.observe({ outcome: event.type }, event.seconds);
  });

  /** Reads the status once and sets every gauge from it. */
  const beforeScrape = () => {
    const status = jobs.status();
    hashes.inc(status.hashesTotal - hashesSeen);
    hashesSeen = status.hashesTotal;
    hashRate.set(status.hashRate);
    running.set(status.job === null ? 0 : 1);
    runningSeconds.set(status.job?.seconds ?? 0);
    expected.set(status.job?.expectedHashes ?? 0);
    const { dataset } = status;
    if (dataset.state !== "none" && dataset.buildSeconds !== null && dataset.source !== null) {
      if (dataset.source === "built") buildSeconds.set(dataset.buildSeconds);
      readySeconds.reset();
      readySeconds.set({ source: dataset.source }, dataset.buildSeconds);
    }
  };
  return { registry, beforeScrape };
}
