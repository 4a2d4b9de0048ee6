// The JSON the worker and the pool serve at /status and /status/history, as the dashboard reads it.

/** Unix time in milliseconds. */
export type UnixMs = number;

export type AuthMode = "none" | "basic";

export interface Security {
  auth: AuthMode;
  warning: string | null;
}

export interface EngineReport {
  phase: "starting" | "dataset" | "ready" | "failed" | "closed";
  mode: "fast" | "light";
  pages: "hugetlb" | "thp" | "plain" | null;
  hugePageBytes: number | null;
  threads: number;
  threadsReason: string;
  error: string | null;
}

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

export interface WorkerJob {
  miner: string;
  nonceGroup: number;
  challenge: string;
  difficulty: string;
  state: "waiting-for-engine" | "running";
  seconds: number;
  hashes: number;
  expectedHashes: number;
  etaSeconds: number | null;
}

export interface FinishedJob {
  /** "<miner>/<group>/<challenge>/<difficulty>" */
  key: string;
  outcome: "done" | "failed";
  nonce: string | null;
  error: string | null;
  seconds: number;
  hashes: number | null;
  hashRate: number | null;
  finishedAt: UnixMs;
}

export interface ErrorNote {
  at: UnixMs;
  /** "<miner>/<group>/<challenge>/<difficulty>" */
  key: string;
  message: string;
}

export interface WorkerStatus {
  version: string;
  target: string;
  librandomx: string;
  uptimeSeconds: number;
  engine: EngineReport;
  dataset: DatasetReport;
  hashRate: number;
  hashesTotal: number;
  job: WorkerJob | null;
  jobs: { done: number; failed: number; remembered: number };
  recent: { jobs: FinishedJob[]; errors: ErrorNote[] };
  limits: { maxExpectedHashes: number; jobTimeoutSeconds: number };
  security: Security;
  refused: Record<string, number>;
}

export interface PoolWorker {
  id: number;
  name: string;
  /** "name#id": what the chart, the answers and the dropped workers call it. */
  label: string;
  remote: string;
  threads: number;
  mode: "fast" | "light";
  connectedSeconds: number;
  hashRate: number | null;
  shares: { received: number; checked: number; rejected: number };
  /** Its ranges credited as searched, and of those, proven searched by their checked shares. */
  claims: { ranges: number; proven: number };
  /** Decimal strings: nonces go past 2^53. */
  range: { start: string; count: string } | null;
}

export interface PoolJob {
  key: string;
  seconds: number;
  /** Decimal strings: counts of hashes may pass 2^53. */
  searched: string;
  proven: string;
  expectedHashes: number;
  /** Searched over expected, at most 1. */
  progress: number;
  etaSeconds: number | null;
  ranges: number;
}

export interface QueueEntry {
  key: string;
  state: "running" | "queued";
  queuedSeconds: number;
}

export interface Answer {
  key: string;
  outcome: "done" | "failed";
  nonce: string | null;
  error: string | null;
  /** "name#id" */
  worker: string | null;
  seconds: number;
  finishedAt: UnixMs;
}

export interface DroppedWorker {
  at: UnixMs;
  worker: string;
  remote: string;
  cause: "bad-work" | "silent" | "protocol" | "worker-failed";
  reason: string;
}

export interface PoolStatus {
  version: string;
  uptimeSeconds: number;
  workers: PoolWorker[];
  job: PoolJob | null;
  queue: QueueEntry[];
  totals: {
    workers: number;
    hashRate: number;
    queued: number;
    done: number;
    failed: number;
    sharesChecked: number;
    sharesRejected: number;
    dropped: number;
  };
  recent: { answers: Answer[]; dropped: DroppedWorker[] };
  security: Security;
}

export interface HistoryPoint {
  at: UnixMs;
  total: number;
  /** Pool only: the rate of each worker connected when the point was taken, by "name#id". */
  workers?: Record<string, number>;
}

export interface History {
  intervalSeconds: number;
  windowSeconds: number;
  points: HistoryPoint[];
}
