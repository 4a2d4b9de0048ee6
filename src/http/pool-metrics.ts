// Prometheus metrics of the pool: gauges set from one reading of the coordinator's status per scrape, and job
// outcomes, waits and dropped workers counted as its events arrive.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Events } from "../jobs/job-api";
import type { PoolEvent, PoolStatus } from "../pool/coordinator";
import { DROP_CAUSES } from "../pool/pool-activity";

/** `pool`: its status, read per scrape, and its events. */
export function poolMetrics(pool: { status(): PoolStatus } & Events<PoolEvent>) {
  const registry = new Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers });
  const workers = gauge("k2pow_pool_workers", "Workers connected.");
  const hashRate = gauge("k2pow_pool_hash_rate", "Hashes per second of all workers, from the shares the pool checked.");
  const queueLength = gauge("k2pow_pool_queue_length", "Jobs queued or running: the queue's depth.");
  const oldestWait = gauge("k2pow_pool_queue_oldest_wait_seconds", "How long the job queued longest (not running) has waited; 0 when none waits.");
  const running = gauge("k2pow_pool_job_running_seconds", "How long the running job has run (0 when there is none).");
  const expected = gauge("k2pow_pool_job_expected_hashes", "Hashes the running job is expected to take (0 when there is none).");
  // What says a pool nears what its verifier can check (README, "How many workers one pool serves").
  const capacity = gauge("k2pow_pool_check_capacity", "Checks a second the verifier sustains, as measured (0 until measured).");
  const shareRate = gauge("k2pow_pool_shares_per_second", "Shares arriving a second, all workers, over the last 15 s.");
  const audited = gauge("k2pow_pool_audited_fraction", "The part of ranges whose every share is checked now: 1 while the verifier keeps up.");
  const pending = gauge("k2pow_pool_checks_pending", "Nonce and share checks queued or running on the verifier (not those waiting for its spare time, nor those of ranges still searched).");
  const spare = gauge("k2pow_pool_checks_spare", "Shares of credited ranges waiting to be checked in the verifier's spare time.");
  const suspicious = gauge("k2pow_pool_workers_suspicious", "Connected workers with a claim of late whose shares did not prove it.");
  // Labelled by the name a worker joins with (its host name by default), so a worker that reconnects keeps its
  // series and its alerts their history; connections sharing a name are summed. For the workers /status lists: every
  // one of a fleet of up to 50, and past that the 50 most worth a look (src/pool/worker-list.ts).
  const workerRate = gauge("k2pow_pool_worker_hash_rate", "A connected worker's hashes per second, from its checked shares.", ["worker"]);
  const workerChecked = gauge("k2pow_pool_worker_shares_checked", "A connected worker's shares that checked out, since it joined.", ["worker"]);
  const workerRejected = gauge("k2pow_pool_worker_shares_rejected", "A connected worker's shares rejected, since it joined.", ["worker"]);
  // Counters of what the coordinator counts itself, brought up to its totals at each scrape.
  const counted = (name: string, help: string) => {
    const counter = new Counter({ name, help, registers });
    let seen = 0;
    return (now: number) => {
      counter.inc(now - seen);
      seen = now;
    };
  };
  const sharesChecked = counted("k2pow_pool_shares_checked_total", "Shares that checked out, of all workers.");
  const sharesRejected = counted("k2pow_pool_shares_rejected_total", "Shares rejected (outside their range, sent twice, or not below their target).");
  const claims = counted("k2pow_pool_claims_total", "Ranges credited to workers as searched.");
  const claimsProven = counted("k2pow_pool_claims_proven_total", "Ranges credited to workers as searched and proven so by every one of their shares, checked, while their job ran.");
  const spareRefused = counted("k2pow_pool_spare_refused_total", "Ranges left claims because too many waited for the verifier's spare time already.");

  const jobs = new Counter({ name: "k2pow_pool_jobs_total", help: "Jobs finished since start, by outcome.", labelNames: ["outcome"], registers });
  for (const outcome of ["done", "failed", "cancelled"]) jobs.inc({ outcome }, 0);
  const dropped = new Counter({
    name: "k2pow_pool_workers_dropped_total",
    help: `Workers disconnected by the pool, by reason: ${DROP_CAUSES.join(", ")} (bad-work: false shares or nonces).`,
    labelNames: ["reason"],
    registers,
  });
  for (const reason of DROP_CAUSES) dropped.inc({ reason }, 0);
  const waits = new Histogram({
    name: "k2pow_pool_job_wait_seconds",
    help: "Time a job waited in the queue before it started.",
    buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800],
    registers,
  });
  const refused = new Counter({
    name: "k2pow_pool_connections_refused_total",
    help: "Worker connections refused before joining, by close code (4001 token or protocol, 4006 crowded, 4007 held off).",
    labelNames: ["code"],
    registers,
  });
  pool.subscribe((event) => {
    if (event.type === "done" || event.type === "failed" || event.type === "cancelled") jobs.inc({ outcome: event.type });
    if (event.type === "dropped") dropped.inc({ reason: event.cause });
    if (event.type === "started" && event.waitedSeconds !== null) waits.observe(event.waitedSeconds);
  });

  /** Reads the status once and sets every gauge from it; per-worker gauges name the listed workers only. */
  const beforeScrape = () => {
    const status = pool.status();
    workers.set(status.totals.workers);
    hashRate.set(status.totals.hashRate);
    queueLength.set(status.totals.queued);
    oldestWait.set(Math.max(0, ...status.queue.filter((q) => q.state === "queued").map((q) => q.queuedSeconds)));
    running.set(status.job?.seconds ?? 0);
    expected.set(status.job?.expectedHashes ?? 0);
    capacity.set(status.checks.capacityPerSecond ?? 0);
    shareRate.set(status.checks.sharesPerSecond);
    audited.set(status.checks.checkedFraction);
    pending.set(status.checks.pending);
    spare.set(status.checks.spare);
    suspicious.set(status.fleet.suspicious);
    for (const metric of [workerRate, workerChecked, workerRejected]) metric.reset();
    for (const w of status.workers) {
      const worker = w.name;
      if (w.hashRate !== null) workerRate.inc({ worker }, w.hashRate);
      workerChecked.inc({ worker }, w.shares.checked);
      workerRejected.inc({ worker }, w.shares.rejected);
    }
    sharesChecked(status.totals.sharesChecked);
    sharesRejected(status.totals.sharesRejected);
    claims(status.totals.claims);
    claimsProven(status.totals.claimsProven);
    spareRefused(status.checks.spareRefused);
  };
  return { registry, refused, beforeScrape };
}
