// What the pool's /status says (its shape: src/wire/status.ts), put together from the parts that hold it: the
// connected workers' sessions (which are listed: worker-list.ts), the running job, the queue and its database, the
// verifier's checks and the pool's recent past. Reads only. Its counts of checks leave out the ranges workers are
// searching until they leave them (WorkerSession.searching says why).
import type { CheckStatus, PoolStatus } from "../wire/status";
import { addCounts, NO_COUNTS } from "./range";
import type { JobQueue } from "./job-queue";
import type { PoolActivity } from "./pool-activity";
import type { RunningJob } from "./running-job";
import { listWorkers, workerStatus } from "./worker-list";
import type { WorkerSession } from "./worker-session";

/** Queued jobs listed at most. */
const LISTED_JOBS = 100;

export interface PoolParts {
  now: number;
  sessions: Iterable<WorkerSession>;
  running: RunningJob | null;
  queue: JobQueue;
  checks: CheckStatus;
  activity: PoolActivity;
  shares: { checked: number; rejected: number };
  claims: { ranges: number; proven: number };
}

export function poolStatus({ now, sessions, running, queue, checks, activity, shares, claims }: PoolParts): PoolStatus {
  const connected = [...sessions];
  const all = connected.map((s) => workerStatus(s, now));
  const searching = connected.reduce((sum, s) => addCounts(sum, s.searching), NO_COUNTS);
  const hashRate = all.reduce((sum, w) => sum + (w.hashRate ?? 0), 0);
  const { workers, fleet } = listWorkers(all);
  const jobs = queue.jobs();
  const counts = queue.counts();
  return {
    workers,
    fleet,
    job: running?.status(hashRate) ?? null,
    queue: jobs.slice(0, LISTED_JOBS).map((q) => ({
      key: q.key,
      state: running?.entry === q ? "running" : "queued",
      queuedSeconds: (now - q.queuedAt) / 1000,
    })),
    checks: {
      ...checks,
      pending: checks.pending - searching.inFlight,
      sharesChecked: checks.sharesChecked - searching.started,
      sharesUnchecked: checks.sharesUnchecked - searching.unchecked,
    },
    database: queue.health(),
    totals: {
      workers: all.length,
      hashRate,
      queued: jobs.length,
      done: counts.done,
      failed: counts.failed,
      sharesChecked: shares.checked - searching.passed,
      sharesRejected: shares.rejected,
      claims: claims.ranges,
      claimsProven: claims.proven,
      dropped: activity.dropped,
    },
    recent: activity.recent(),
  };
}
