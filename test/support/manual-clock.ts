// A clock the test moves by hand: periodic duties fire in time order as it advances, and nothing else moves it.
import type { Clock } from "../../src/pool/clock";

export class ManualClock implements Clock {
  private time: number;
  private readonly timers = new Set<{ next: number; ms: number; fn: () => void }>();

  constructor(start = 1_800_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  every(ms: number, fn: () => void): () => void {
    const timer = { next: this.time + ms, ms, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Moves time forward by `ms`, firing every duty that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: { next: number; ms: number; fn: () => void } | null = null;
      for (const t of this.timers) if (t.next <= end && (due === null || t.next < due.next)) due = t;
      if (due === null) break;
      this.time = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.time = end;
  }
}
