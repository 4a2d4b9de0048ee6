// The worker's HTTP API (SPEC §3), transport only: the job API served over the worker's jobs, its status written
// out as post-service's operators read it, and its metrics.
import type { WorkerJobApi } from "../jobs/worker-api";
import { toWire, type WorkerInfo, type WorkerStatus } from "../wire/status";
import { serveJobApi } from "./job-api-server";
import { workerMetrics } from "./worker-metrics";

/** A certificate (intermediates after it) and its private key, as PEM text, for serving HTTPS. */
export interface TlsPem {
  cert: string;
  key: string;
}

export interface ServerOptions {
  jobs: WorkerJobApi;
  info: WorkerInfo;
  /** "user:password" to require HTTP Basic auth on everything but the health check. */
  auth?: string;
  /** The status for "busy with another job": 429 (post-service's), or 503 for a load balancer that retries it. */
  busyStatus?: 429 | 503;
  /** Jobs expected to take more hashes are refused with 400; absent, no bound (`k2pow serve` always sets one). */
  maxExpectedHashes?: number;
  /** What the job manager was given, shown in /status. */
  jobTimeoutSeconds?: number;
  /** Hears every request once answered (for debug logs); absent, requests cost nothing extra. */
  onAnswered?: (method: string, path: string, status: number, ms: number) => void;
  /** Hears a request that failed inside the server: answered 500 with a generic line, the detail is for the log. */
  onFault?: (method: string, path: string, error: string) => void;
}

export function createServer({ jobs, info, auth, busyStatus = 429, maxExpectedHashes = Infinity, jobTimeoutSeconds = 0, onAnswered, onFault }: ServerOptions) {
  const started = performance.now();
  const metrics = workerMetrics(jobs);
  const server = serveJobApi({
    api: jobs,
    what: "worker",
    auth,
    busyStatus,
    maxExpectedHashes,
    registry: metrics.registry,
    beforeScrape: metrics.beforeScrape,
    statusBody: (status) => statusBody(status, info, started),
    limits: { maxExpectedHashes, jobTimeoutSeconds },
    onAnswered,
    onFault,
  });

  return {
    /** Elysia would turn on SO_REUSEPORT, which lets a second worker share the port unnoticed; Bun.serve does not. */
    listen: (hostname: string, port: number, tls?: TlsPem) => {
      const listening = Bun.serve({ hostname, port, reusePort: false, development: false, fetch: server.fetch, tls });
      server.listening(hostname);
      return listening;
    },
    /** Once listening: the line to log when the worker is open to the network without --auth, else null. */
    warning: server.warning,
  };
}

function statusBody(status: WorkerStatus, info: WorkerInfo, started: number) {
  return { ...info, uptimeSeconds: (performance.now() - started) / 1000, ...toWire(status) };
}
