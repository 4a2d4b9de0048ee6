// What the worker's job manager shows through the job API seam (src/jobs/job-api.ts): its status (its shape is
// src/wire/status.ts, shared with the servers and the dashboard), and the events its logs and metrics hear.
import type { WorkerStatus } from "../wire/status";
import type { Events, JobApi } from "./job-api";
import type { RateHistorySource } from "./rate-history";

export type JobEvent =
  | { type: "started"; key: string; expectedHashes: number }
  | { type: "progress"; key: string; hashes: bigint; seconds: number; hashRate: number; expectedHashes: number; etaSeconds: number | null }
  | { type: "done"; key: string; nonce: bigint; hashes: bigint; seconds: number; searchSeconds: number }
  | { type: "retrying"; key: string; error: string; attempt: number }
  | { type: "failed"; key: string; error: string; seconds: number };

/** The worker's side of the seam: the job API over its status, its events and its hash rate over the last hour. */
export type WorkerJobApi = JobApi<WorkerStatus> & Events<JobEvent> & RateHistorySource;
