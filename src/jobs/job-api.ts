// The one seam between HTTP and whoever does the work, the worker's job manager or the pool's coordinator: what
// post-service's job API (SPEC §3) asks of it. The HTTP layer depends on this and nothing behind it, so its tests
// put a fake here instead of a RandomX engine.
import type { K2powJob } from "../engine/k2pow-rule";

/** The answer to a request for a job, which the HTTP layer turns into a status code and body. */
export type JobAnswer =
  | { kind: "accepted" } // new, or still running
  | { kind: "done"; nonce: bigint }
  | { kind: "failed"; error: string }
  | { kind: "busy"; reason?: string; cause?: BusyCause }; // another job is running, or (the pool) it cannot queue one

/** Who asks for a job: the peer's IP address, and how many of the pool's queued jobs that address may hold. */
export interface Asker {
  address: string;
  share: number;
}

/** Why the pool cannot queue a job: its queue is full, or the asking address holds its share of it. */
export type BusyCause = "queue-full" | "queue-share";

export interface JobApi<Status> {
  /** GET /job/...: the answer for the job `key` names, starting or queueing it when it can. Never throws. */
  request(key: string, job: K2powJob, from: Asker): JobAnswer;
  /** DELETE /job/...: stops a running or queued job, or forgets its answer; false when there was neither. */
  cancel(key: string): boolean | Promise<boolean>;
  /** GET /status: what the work looks like now. */
  status(): Status;
}

/** Where a domain's events can be heard, by as many listeners as care (logs, metrics). */
export interface Events<Event> {
  subscribe(listener: (event: Event) => void): void;
}
