// The last few of something (finished jobs, errors, dropped workers) for the dashboard: bounded, newest first.

/** As many as a dashboard's list shows. */
const SIZE = 20;

export class RecentList<T> {
  private readonly list: T[] = [];

  add(item: T): void {
    this.list.unshift(item);
    if (this.list.length > SIZE) this.list.pop();
  }

  /** Newest first; a copy. */
  items(): T[] {
    return [...this.list];
  }
}
