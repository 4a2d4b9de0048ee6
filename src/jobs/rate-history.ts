// Hash rates sampled at a fixed interval over the last hour, for the dashboard's chart: at most 720 points, and read
// from a given time on, so a page left open fetches only what is new.

import type { RateHistoryReport, RatePoint } from "../wire/status";

export type { RateHistoryReport, RatePoint } from "../wire/status";

export const HISTORY_INTERVAL_SECONDS = 5;
export const HISTORY_WINDOW_SECONDS = 3600;

/** Who keeps a rate history: the worker's job manager and the pool's coordinator. */
export interface RateHistorySource {
  /** The points taken after `since` (milliseconds since the epoch), or the whole window. */
  rateHistory(since?: number): RateHistoryReport;
}

export class RateHistory {
  private readonly points: RatePoint[] = [];

  add(point: RatePoint): void {
    this.points.push(point);
    const oldest = point.at - HISTORY_WINDOW_SECONDS * 1000;
    while (this.points.length > 0 && this.points[0]!.at <= oldest) this.points.shift();
  }

  since(after = -Infinity): RateHistoryReport {
    let first = this.points.length;
    while (first > 0 && this.points[first - 1]!.at > after) first--;
    return { intervalSeconds: HISTORY_INTERVAL_SECONDS, windowSeconds: HISTORY_WINDOW_SECONDS, points: this.points.slice(first) };
  }
}
