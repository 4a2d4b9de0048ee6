// What the worker's job manager shows through the job API seam (src/jobs/job-api.ts): its status, as domain
// objects the HTTP layer only has to write out, and the events its logs and metrics hear.
import type { EngineStatus } from "../engine/engine";
import type { Events, JobApi } from "./job-api";
import type { RateHistorySource } from "./rate-history";

/** The engine as /status reports it. */
export type EngineReport = Pick<EngineStatus, "phase" | "mode" | "pages" | "hugePageBytes" | "threads" | "threadsReason" | "error">;

/** The fast-mode dataset as /status reports it; "none" in light mode. */
export type DatasetReport =
  | { state: "none" }
  | {
      state: "building" | "loading" | "failed" | "pending" | "ready";
      progress: number;
      /** Seconds it took to be ready, built or loaded (see source); null until then. */
      buildSeconds: number | null;
      source: "built" | "loaded" | null;
      /** What built it, when it was built: "AVX-512" or "AVX2" (k2pow's vector build) or "librandomx". */
      builtWith: string | null;
      /** The dataset file and whether this worker saved it; null when it keeps none. */
      file: { path: string; save: "idle" | "saving" | "saved" | "failed" } | null;
    };

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

/** A job that ended, for the dashboard's list of the last jobs. */
export interface FinishedJob {
  key: string;
  outcome: "done" | "failed";
  nonce: bigint | null;
  error: string | null;
  /** From the first request to the answer. */
  seconds: number;
  /** The search's own (done jobs only). */
  hashes: bigint | null;
  hashRate: number | null;
  /** Milliseconds since the epoch. */
  finishedAt: number;
}

/** Something that went wrong with a job: it failed, or a search was retried. */
export interface ErrorNote {
  /** Milliseconds since the epoch. */
  at: number;
  key: string;
  message: string;
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
  /** Newest first, a few of each. */
  recent: { jobs: FinishedJob[]; errors: ErrorNote[] };
}

export type JobEvent =
  | { type: "started"; key: string; expectedHashes: number }
  | { type: "progress"; key: string; hashes: bigint; seconds: number; hashRate: number; expectedHashes: number; etaSeconds: number | null }
  | { type: "done"; key: string; nonce: bigint; hashes: bigint; seconds: number; searchSeconds: number }
  | { type: "retrying"; key: string; error: string; attempt: number }
  | { type: "failed"; key: string; error: string; seconds: number };

/** The worker's side of the seam: the job API over its status, its events and its hash rate over the last hour. */
export type WorkerJobApi = JobApi<WorkerStatus> & Events<JobEvent> & RateHistorySource;
