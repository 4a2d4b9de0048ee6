// What the worker's job manager shows through the job API seam (src/jobs/job-api.ts): its status, as domain
// objects the HTTP layer only has to write out, and the events its logs and metrics hear.
import type { EngineStatus } from "../engine/engine";
import type { Events, JobApi } from "./job-api";

/** The engine as /status reports it. */
export type EngineReport = Pick<EngineStatus, "phase" | "mode" | "pages" | "hugePageBytes" | "threads" | "threadsReason" | "error">;

/** The fast-mode dataset as /status reports it; "none" in light mode. */
export type DatasetReport =
  | { state: "none" }
  | { state: "building" | "failed" | "pending" | "ready"; progress: number; buildSeconds: number | null };

/** The job being worked on, named by its parts (hex in lower case). */
export interface RunningJob {
  miner: string;
  nonceGroup: number;
  challenge: string;
  difficulty: string;
  state: "waiting-for-engine" | "running";
  seconds: number;
  hashes: bigint;
  expectedHashes: number;
  /** Null until there is a hash rate to reckon with. */
  etaSeconds: number | null;
}

export interface WorkerStatus {
  engine: EngineReport;
  dataset: DatasetReport;
  /** Hashes per second over the last 10 seconds. */
  hashRate: number;
  /** Hashes done since start, all threads. */
  hashes: bigint;
  job: RunningJob | null;
  done: number;
  failed: number;
  /** Answers kept for later requests. */
  remembered: number;
}

export type JobEvent =
  | { type: "started"; key: string; expectedHashes: number }
  | { type: "progress"; key: string; hashes: bigint; seconds: number; hashRate: number; expectedHashes: number; etaSeconds: number | null }
  | { type: "done"; key: string; nonce: bigint; hashes: bigint; seconds: number; searchSeconds: number }
  | { type: "retrying"; key: string; error: string; attempt: number }
  | { type: "failed"; key: string; error: string; seconds: number };

/** The worker's side of the seam: the job API over its status, and its events. */
export type WorkerJobApi = JobApi<WorkerStatus> & Events<JobEvent>;
