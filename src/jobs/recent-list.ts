// The last few of something (finished jobs, errors, dropped workers) for the dashboard: bounded, newest first.

export const RECENT_SIZE = 20;

export class RecentList<T> {
  private readonly list: T[] = [];

  constructor(private readonly size = RECENT_SIZE) {}

  add(item: T): void {
    this.list.unshift(item);
    if (this.list.length > this.size) this.list.pop();
  }

  /** Newest first; a copy. */
  items(): T[] {
    return [...this.list];
  }
}
