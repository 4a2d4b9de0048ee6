// The one shape of GET /status and GET /status/history, for the worker and the pool, and the one rule that turns
// it into JSON. The worker's job manager and the pool's coordinator build the statuses below; the servers write them
// out with `toWire` and add what only they know (version, uptime, limits, security, refusals); the dashboard reads
// the `…Json` types. A field added here shows in all three, and the type checks name every place that must fill it.
// No imports, so the dashboard's type check (src/ui/browser/tsconfig.json) can read this file as it is.

/** Milliseconds since the epoch. */
export type UnixMs = number;

/** JSON has no bigint: a bigint (a nonce, a count of nonces) is written as its decimal string. */
export type Wire<T> = T extends bigint
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export function toWire<T>(value: T): Wire<T> {
  if (typeof value === "bigint") return value.toString() as Wire<T>;
  if (Array.isArray(value)) return value.map(toWire) as Wire<T>;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)])) as Wire<T>;
  }
  return value as Wire<T>;
}

// ---- the worker ----

/** The engine as /status reports it. */
export interface EngineReport {
  phase: "starting" | "dataset" | "ready" | "failed" | "closed";
  mode: "fast" | "light";
  pages: "hugetlb" | "thp" | "plain" | null;
  hugePageBytes: number | null;
  threads: number;
  threadsReason: string;
  error: string | null;
}

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

/** The job being worked on, named by its parts (hex in lower case). Counts of hashes are numbers: exact below 2^53. */
export interface WorkerJob {
  miner: string;
  nonceGroup: number;
  challenge: string;
  difficulty: string;
  state: "waiting-for-engine" | "running";
  seconds: number;
  hashes: number;
  expectedHashes: number;
  /** Null until there is a hash rate to reckon with. */
  etaSeconds: number | null;
}

/** A job that ended, for the dashboard's list of the last jobs. */
export interface FinishedJob {
  /** "<miner>/<group>/<challenge>/<difficulty>" */
  key: string;
  outcome: "done" | "failed";
  nonce: bigint | null;
  error: string | null;
  /** From the first request to the answer. */
  seconds: number;
  /** The search's own (done jobs only). */
  hashes: number | null;
  hashRate: number | null;
  finishedAt: UnixMs;
}

/** Something that went wrong with a job: it failed, or a search was retried. */
export interface ErrorNote {
  at: UnixMs;
  /** "<miner>/<group>/<challenge>/<difficulty>" */
  key: string;
  message: string;
}

export interface WorkerStatus {
  engine: EngineReport;
  dataset: DatasetReport;
  /** Hashes per second over the last 10 seconds. */
  hashRate: number;
  /** Hashes done since start, all threads. */
  hashesTotal: number;
  job: WorkerJob | null;
  /** Remembered: answers kept for later requests. */
  jobs: { done: number; failed: number; remembered: number };
  /** Newest first, a few of each. */
  recent: { jobs: FinishedJob[]; errors: ErrorNote[] };
}

// ---- the pool ----

export interface PoolWorker {
  id: number;
  name: string;
  /** "name#id": what logs, events, the dashboard and its chart call it. */
  label: string;
  remote: string;
  threads: number;
  mode: "fast" | "light";
  connectedSeconds: number;
  /**
   * From checked shares only. This, `shares.checked`, the totals' and `checks`' counts leave out the range each worker
   * is searching until it leaves it, so that no worker learns mid-range whether its range is audited.
   */
  hashRate: number | null;
  /** Rejected: outside its range, sent twice, or not below its target; the first one drops the worker. */
  shares: { received: number; checked: number; rejected: number };
  /** Its ranges credited as searched, and of those, proven searched (docs/pool-protocol.md, "Claims and proof"). */
  claims: { ranges: number; proven: number };
  /**
   * Of the last 10 claims whose every share was checked in its record (its own, and those of earlier connections
   * from its address: src/pool/coverage-records.ts), those not proven: 5 drop it.
   */
  thinClaims: number;
  range: { start: bigint; count: bigint } | null;
}

/** The connected workers at a glance, whatever their number. */
export interface FleetSummary {
  /** Which `workers` lists: every one, or past a few dozen the suspicious and then the slowest. */
  listed: "all" | "suspicious and slowest";
  fast: number;
  light: number;
  threads: number;
  /** On a range now. */
  searching: number;
  /** Without a proven rate yet (on its first ranges, or no checked share in 15 minutes). */
  measuring: number;
  /** With a claim of late whose shares did not prove it (thinClaims above 0). */
  suspicious: number;
  /** Proven rates of the workers that have one: p10 is faster than the slowest tenth, p50 than half. */
  hashRate: { p10: number; p50: number; p90: number; max: number } | null;
}

/** GET /status/workers?search=&offset=&limit=: the connected workers, a page at a time, by label. */
export interface WorkerPage {
  total: number;
  /** Of them, those whose label or address holds `search`. */
  matched: number;
  offset: number;
  workers: PoolWorker[];
}

export interface PoolJob {
  key: string;
  seconds: number;
  /** Nonces in ranges reported searched, and of those, proven by checked shares. */
  searched: bigint;
  proven: bigint;
  expectedHashes: number;
  /** Searched over expected, at most 1. */
  progress: number;
  etaSeconds: number | null;
  /** Ranges out on workers and not yet settled. */
  ranges: number;
}

export interface QueueEntry {
  key: string;
  state: "running" | "queued";
  queuedSeconds: number;
}

/** The verifier's checks of what workers send. */
export interface CheckStatus {
  /** Checks per second the verifier sustains, as measured. */
  capacityPerSecond: number | null;
  /** Shares arriving per second, all workers, over the last 15 s. */
  sharesPerSecond: number;
  /** The part of ranges (but workers' first ones) audited now: every share checked as it comes. */
  checkedFraction: number;
  /** This and the counts below: of the ranges workers have left (PoolWorker.hashRate says why). */
  pending: number;
  /** Shares of ranges not audited, waiting for the verifier's spare time to be checked. */
  spare: number;
  /** Ranges left claims since the pool started because too many waited for spare time already. */
  spareRefused: number;
  sharesChecked: number;
  sharesUnchecked: number;
  nonceChecks: number;
}

export interface DatabaseHealth {
  ok: boolean;
  /** The last write's failure, while writes fail. */
  error: string | null;
  /** Answers given to clients that the database does not hold yet. */
  unsavedAnswers: number;
  /** The last time the database file was deleted or replaced under the pool, and the answers written to a new one. */
  lost: { at: UnixMs; reason: string; restored: number } | null;
}

export interface PoolAnswer {
  key: string;
  outcome: "done" | "failed";
  nonce: bigint | null;
  error: string | null;
  /** The worker whose nonce it was: "name#id". */
  worker: string | null;
  seconds: number;
  finishedAt: UnixMs;
}

/** Why a worker was dropped, in a few words a metric can be labelled with. */
export const DROP_CAUSES = ["bad-work", "silent", "protocol", "worker-failed"] as const;
export type DropCause = (typeof DROP_CAUSES)[number];

export interface DroppedWorker {
  at: UnixMs;
  worker: string;
  remote: string;
  cause: DropCause;
  reason: string;
}

export interface PoolStatus {
  /** Every worker in a small fleet; in a large one, those most worth a look (fleet.listed): GET /status/workers has all. */
  workers: PoolWorker[];
  fleet: FleetSummary;
  job: PoolJob | null;
  queue: QueueEntry[];
  checks: CheckStatus;
  database: DatabaseHealth;
  totals: {
    workers: number;
    hashRate: number;
    queued: number;
    done: number;
    failed: number;
    /** Since the pool started, of all workers, of the ranges they have left (PoolWorker.hashRate says why). */
    sharesChecked: number;
    sharesRejected: number;
    /** Ranges credited to workers' claims, and of those, proven searched by their checked shares. */
    claims: number;
    claimsProven: number;
    dropped: number;
  };
  /** Newest first, a few of each. */
  recent: { answers: PoolAnswer[]; dropped: DroppedWorker[] };
}

// ---- what the servers add, and the JSON served ----

export interface Security {
  auth: "none" | "basic";
  /** Set when the server listens beyond loopback without --auth. */
  warning: string | null;
}

/** What the job API's server adds to every status: its limits, whether it asks for a password, what it refused. */
export interface ServedStatus<Limits> {
  limits: Limits;
  security: Security;
  /** Requests refused since start, by reason. */
  refused: Record<string, number>;
}

export interface WorkerInfo {
  version: string;
  /** The CPU target the executable was built for. */
  target: string;
  librandomx: string;
}

export type WorkerLimits = { maxExpectedHashes: number; jobTimeoutSeconds: number };
export type PoolLimits = { queueSize: number; queuePerAddress: number; jobTimeoutSeconds: number; maxExpectedHashes: number };

export type WorkerStatusJson = WorkerInfo & { uptimeSeconds: number } & Wire<WorkerStatus> & ServedStatus<WorkerLimits>;
export type PoolStatusJson = { version: string; uptimeSeconds: number } & Wire<PoolStatus> & ServedStatus<PoolLimits>;
export type PoolWorkerJson = Wire<PoolWorker>;
export type WorkerPageJson = Wire<WorkerPage>;
export type PoolJobJson = Wire<PoolJob>;

/** One sample: the total rate and, for the pool of up to 24 workers, each connected worker's proven rate by its label. */
export interface RatePoint {
  at: UnixMs;
  total: number;
  workers?: Record<string, number>;
}

/** GET /status/history. */
export interface RateHistoryReport {
  intervalSeconds: number;
  windowSeconds: number;
  /** Oldest first. */
  points: RatePoint[];
}
