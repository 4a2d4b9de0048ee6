// What the pool's /status says (its shape: src/wire/status.ts), put together from the parts that hold it: the
// connected workers' sessions, the running job, the queue and its database, the verifier's checks and the pool's
// recent past. Reads only.
import type { CheckStatus, PoolStatus, PoolWorker } from "../wire/status";
import type { JobQueue } from "./job-queue";
import type { PoolActivity } from "./pool-activity";
import type { RunningJob } from "./running-job";
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
}

export function workerStatus(s: WorkerSession, now: number): PoolWorker {
  return {
    id: s.id,
    name: s.name,
    label: s.label,
    remote: s.link.remote,
    threads: s.threads,
    mode: s.mode,
    connectedSeconds: (now - s.joinedAt) / 1000,
    hashRate: s.provenRate(now),
    shares: { received: s.sharesReceived, checked: s.sharesChecked, rejected: s.sharesRejected },
    claims: { ranges: s.rangesClaimed, proven: s.rangesProven },
    range: s.range === null ? null : { start: s.range.start, count: s.range.count },
  };
}

export function poolStatus({ now, sessions, running, queue, checks, activity, shares }: PoolParts): PoolStatus {
  const workers = [...sessions].map((s) => workerStatus(s, now));
  const hashRate = workers.reduce((sum, w) => sum + (w.hashRate ?? 0), 0);
  const jobs = queue.jobs();
  const counts = queue.counts();
  return {
    workers,
    job: running?.status(hashRate) ?? null,
    queue: jobs.slice(0, LISTED_JOBS).map((q) => ({
      key: q.key,
      state: running?.entry === q ? "running" : "queued",
      queuedSeconds: (now - q.queuedAt) / 1000,
    })),
    checks,
    database: queue.health(),
    totals: {
      workers: workers.length,
      hashRate,
      queued: jobs.length,
      done: counts.done,
      failed: counts.failed,
      sharesChecked: shares.checked,
      sharesRejected: shares.rejected,
      dropped: activity.dropped,
    },
    recent: activity.recent(),
  };
}
