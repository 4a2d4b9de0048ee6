// The hash-rate points of the last window (an hour), kept in the page and topped up from /status/history.
import type { RateHistoryReport as History, RatePoint as HistoryPoint } from "../../wire/status";

export class RateHistory {
  points: HistoryPoint[] = [];

  /** What to ask for next: the points after the newest one held. */
  get since(): number | null {
    return this.points.at(-1)?.at ?? null;
  }

  add({ points, windowSeconds }: History): void {
    const newest = this.since ?? -Infinity;
    this.points.push(...points.filter((point) => point.at > newest));
    // The window is reckoned from the newest point, not this browser's clock, which may differ from the server's.
    const last = this.points.at(-1);
    if (last === undefined) return;
    const oldest = last.at - windowSeconds * 1000;
    const drop = this.points.findIndex((point) => point.at > oldest);
    if (drop > 0) this.points.splice(0, drop);
  }

  clear(): void {
    this.points = [];
  }
}
