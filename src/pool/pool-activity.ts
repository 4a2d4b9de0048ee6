// What the pool's dashboard shows of the past: the last answers, the last workers dropped and why, and the total
// and per-worker proven hash rate over the last hour (per worker up to CHARTED_WORKERS). Built from the
// coordinator's events and its rate samples.
import { RateHistory, type RateHistoryReport } from "../jobs/rate-history";
import { RecentList } from "../jobs/recent-list";
import type { DropCause, DroppedWorker, PoolAnswer } from "../wire/status";

export { DROP_CAUSES, type DropCause, type DroppedWorker, type PoolAnswer } from "../wire/status";

/** The coordinator's events this hears; a subset of PoolEvent, so the activity need not know the rest. */
type ActivityEvent =
  | { type: "done"; key: string; nonce: bigint; worker: string; seconds: number }
  | { type: "failed"; key: string; error: string; seconds: number }
  | { type: "dropped"; worker: string; remote: string; cause: DropCause; reason: string };

/** Fleets up to this size have a rate history of each worker; larger ones, of their total only. */
export const CHARTED_WORKERS = 24;

export class PoolActivity {
  private readonly answers = new RecentList<PoolAnswer>();
  private readonly droppedWorkers = new RecentList<DroppedWorker>();
  private readonly history = new RateHistory();
  /** Workers dropped since the pool started. */
  dropped = 0;

  hear(event: ActivityEvent, at: number): void {
    switch (event.type) {
      case "done":
        return this.answers.add({ key: event.key, outcome: "done", nonce: event.nonce, error: null, worker: event.worker, seconds: event.seconds, finishedAt: at });
      case "failed":
        return this.answers.add({ key: event.key, outcome: "failed", nonce: null, error: event.error, worker: null, seconds: event.seconds, finishedAt: at });
      case "dropped":
        this.dropped++;
        return this.droppedWorkers.add({ at, worker: event.worker, remote: event.remote, cause: event.cause, reason: event.reason });
    }
  }

  /**
   * One sample of the rates: the total, and while the fleet has at most CHARTED_WORKERS, each worker with a proven
   * rate by its label (a chart line each is legible up to that; an hour of them for thousands would be megabytes).
   */
  sample(at: number, workers: { label: string; hashRate: number | null }[]): void {
    const rates: Record<string, number> = {};
    const each = workers.length <= CHARTED_WORKERS;
    let total = 0;
    for (const { label, hashRate } of workers) {
      if (hashRate === null) continue;
      if (each) rates[label] = hashRate;
      total += hashRate;
    }
    this.history.add(each ? { at, total, workers: rates } : { at, total });
  }

  recent(): { answers: PoolAnswer[]; dropped: DroppedWorker[] } {
    return { answers: this.answers.items(), dropped: this.droppedWorkers.items() };
  }

  rateHistory(since?: number): RateHistoryReport {
    return this.history.since(since);
  }
}
