// The worker's HTTP API (SPEC §3), transport only: parse, ask the job manager, answer with exactly the statuses and
// bodies post-service relies on. A 200 body is the nonce's digits and nothing else.
import { Elysia } from "elysia";
import type { EngineStatus } from "../engine/engine";
import type { JobManager } from "../jobs/job-manager";
import { openWarning } from "./access";
import { basicAuth } from "./basic-auth";
import { HEALTH_BODY, jobRoutes, peerOf, routeRequests, text, type Peers } from "./job-route";
import { createMetrics } from "./metrics";
import { Refusals, WORKER_REFUSALS } from "./refusals";

/** What the server reports about the worker beside its jobs. */
export interface WorkerInfo {
  version: string;
  target: string;
  librandomx: string;
  engine: () => EngineStatus;
}

/** A certificate (intermediates after it) and its private key, as PEM text, for serving HTTPS. */
export interface TlsPem {
  cert: string;
  key: string;
}

export interface ServerOptions {
  jobs: JobManager;
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
}

export function createServer({ jobs, info, auth, busyStatus = 429, maxExpectedHashes = Infinity, jobTimeoutSeconds = 0, onAnswered }: ServerOptions) {
  const metrics = createMetrics(jobs, info);
  const refusals = new Refusals(WORKER_REFUSALS, metrics.registry, "k2pow_requests_refused_total");
  const authorized = auth ? basicAuth(auth) : null;
  const started = performance.now();
  const routes = jobRoutes(jobs, { busyStatus, maxExpectedHashes, refusals });
  const security = { auth: authorized === null ? "none" : "basic", warning: null as string | null };

  const app = new Elysia()
    .get("/", () => text(HEALTH_BODY, 200))
    .get("/job/*", ({ params, request }) => routes.get(params["*"], peerOf(request)))
    .delete("/job/*", ({ params }) => routes.delete(params["*"]))
    .get("/status", () =>
      Response.json(
        {
          ...statusBody(jobs, info, started),
          limits: { maxExpectedHashes, jobTimeoutSeconds },
          security,
          refused: refusals.snapshot(),
        },
        { headers: { "cache-control": "no-store" } },
      ),
    )
    .get("/metrics", async () => text(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }))
    .onError(({ code, error }) => {
      if (code === "NOT_FOUND") return text("not found\n", 404);
      return text(`internal error: ${(error as Error).message ?? String(error)}\n`, 500);
    });

  const route = routeRequests(app, authorized, refusals);

  const fetch = onAnswered
    ? async (request: Request, server: Peers): Promise<Response> => {
        const started = performance.now();
        const response = await route(request, server);
        onAnswered(request.method, new URL(request.url).pathname, response.status, performance.now() - started);
        return response;
      }
    : route;

  return {
    fetch,
    observe: metrics.observe,
    /** Elysia would turn on SO_REUSEPORT, which lets a second worker share the port unnoticed; Bun.serve does not. */
    listen: (hostname: string, port: number, tls?: TlsPem) => {
      const server = Bun.serve({ hostname, port, reusePort: false, development: false, fetch, tls });
      security.warning = openWarning(hostname, authorized !== null, "worker");
      return server;
    },
    /** Once listening: the line to log when the worker is open to the network without --auth, else null. */
    warning: () => security.warning,
  };
}

function statusBody(jobs: JobManager, info: WorkerInfo, started: number) {
  const engine = info.engine();
  const j = jobs.status();
  const dataset =
    engine.dataset === null
      ? { state: "none" }
      : {
          state: engine.phase === "dataset" ? "building" : engine.phase === "failed" ? "failed" : engine.dataset.seconds === null ? "pending" : "ready",
          progress: engine.dataset.items === 0 ? 0 : engine.dataset.itemsBuilt / engine.dataset.items,
          buildSeconds: engine.dataset.seconds,
        };
  const [miner, nonceGroup, challenge, difficulty] = j.job?.key.split("/") ?? [];
  return {
    version: info.version,
    target: info.target,
    librandomx: info.librandomx,
    uptimeSeconds: (performance.now() - started) / 1000,
    engine: { phase: engine.phase, mode: engine.mode, pages: engine.pages, hugePageBytes: engine.hugePageBytes, threads: engine.threads, error: engine.error },
    dataset,
    hashRate: j.hashRate,
    hashesTotal: Number(j.hashes),
    job:
      j.job === null
        ? null
        : {
            miner,
            nonceGroup: Number(nonceGroup),
            challenge,
            difficulty,
            state: j.job.state,
            seconds: j.job.seconds,
            hashes: Number(j.job.hashes),
            expectedHashes: j.job.expectedHashes,
            etaSeconds: j.job.etaSeconds,
          },
    jobs: { done: j.done, failed: j.failed, remembered: j.remembered },
  };
}
