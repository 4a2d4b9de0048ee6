// What the worker's and the pool's views have in common: they are updated from /status and say in one line how
// the box is doing.

export type Tone = "ok" | "busy" | "warn" | "bad" | "off";

/** The page's status line. */
export interface Headline {
  /** A word for tests and styles: "working", "idle", "building", … */
  state: string;
  /** What the badge says. */
  badge: string;
  tone: Tone;
  /** A sentence with the detail. */
  line: string;
  /** The server's security warning, shown above everything. */
  warning: string | null;
}

export interface View {
  /** The cards, in the order a phone shows them. */
  readonly root: HTMLElement;
  /** Where the hash-rate chart goes. */
  readonly chartSlot: HTMLElement;
  /** The body is /status's JSON, of this view's role. */
  update(body: unknown): Headline;
}
