// The worker's HTTP API (SPEC §3), transport only: parse, ask the job manager, answer with exactly the statuses and
// bodies post-service relies on. A 200 body is the nonce's digits and nothing else.
import { Elysia } from "elysia";
import type { EngineStatus } from "../engine/engine";
import type { K2powJob } from "../engine/k2pow-rule";
import type { JobManager } from "../jobs/job-manager";
import { JOB_PARTS, parseJob, type JobParams } from "../jobs/job-params";
import { basicAuth } from "./basic-auth";
import { createMetrics } from "./metrics";

/** What the server reports about the worker beside its jobs. */
export interface WorkerInfo {
  version: string;
  target: string;
  librandomx: string;
  engine: () => EngineStatus;
}

export interface ServerOptions {
  jobs: JobManager;
  info: WorkerInfo;
  /** "user:password" to require HTTP Basic auth on everything but the health check. */
  auth?: string;
  /** The status for "busy with another job": 429 (post-service's), or 503 for a load balancer that retries it. */
  busyStatus?: 429 | 503;
  /** Hears every request once answered (for debug logs); absent, requests cost nothing extra. */
  onAnswered?: (method: string, path: string, status: number, ms: number) => void;
}

const HEALTH_BODY = "{ 'message': 'ok' }";
const text = (body: string, status: number, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });

export function createServer({ jobs, info, auth, busyStatus = 429, onAnswered }: ServerOptions) {
  const metrics = createMetrics(jobs, info);
  const authorized = auth ? basicAuth(auth) : null;
  const started = performance.now();
  const parsedPaths: ParsedPaths = new Map();

  const app = new Elysia()
    .get("/", () => text(HEALTH_BODY, 200))
    .get("/job/*", ({ params }) => answerJob(jobs, params["*"], parsedPaths, busyStatus))
    .get("/status", () => Response.json(statusBody(jobs, info, started), { headers: { "cache-control": "no-store" } }))
    .get("/metrics", async () => text(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }))
    .onError(({ code, error }) => {
      if (code === "NOT_FOUND") return text("not found\n", 404);
      return text(`internal error: ${(error as Error).message ?? String(error)}\n`, 500);
    });

  // Elysia 1.4 takes the path to start at the first "/" from offset 11 of request.url, which misroutes a request
  // whose Host has 3 characters or fewer ("pow", "lb"), has no Host (Bun then gives only the path: HTTP/1.0, as
  // HAProxy's health checks send), or carries a fragment. Such a request is handed over with a fixed origin;
  // the others as they are, since polls must stay cheap. Auth is decided on the very path Elysia will route.
  const route = (request: Request): Response | Promise<Response> => {
    const raw = request.url;
    const slash = raw.startsWith("/") ? 0 : raw.indexOf("/", raw.indexOf("//") + 2);
    let forElysia = request;
    let path: string;
    if (slash > 0 && raw.indexOf("/", 11) === slash && !raw.includes("#")) {
      const query = raw.indexOf("?", slash);
      path = raw.slice(slash, query === -1 ? undefined : query);
    } else {
      let url: URL;
      try {
        url = new URL(raw, ORIGIN);
      } catch {
        return text("malformed request target\n", 400);
      }
      path = url.pathname;
      forElysia = new Request(`${ORIGIN}${url.pathname}${url.search}`, { method: request.method, headers: request.headers });
    }
    if (authorized !== null && path !== "/" && !authorized(request.headers.get("authorization"))) {
      return text("authentication required\n", 401, { "www-authenticate": 'Basic realm="k2pow"' });
    }
    return app.handle(forElysia);
  };

  const fetch = onAnswered
    ? async (request: Request): Promise<Response> => {
        const started = performance.now();
        const response = await route(request);
        onAnswered(request.method, new URL(request.url).pathname, response.status, performance.now() - started);
        return response;
      }
    : route;

  return {
    fetch,
    observe: metrics.observe,
    /** Elysia would turn on SO_REUSEPORT, which lets a second worker share the port unnoticed; Bun.serve does not. */
    listen: (hostname: string, port: number) => Bun.serve({ hostname, port, reusePort: false, development: false, fetch }),
  };
}

const ORIGIN = "http://k2pow.invalid";

/**
 * Job paths already parsed. post-service polls the same few paths again and again; parsing each once keeps a
 * poll's cost near the HTTP server's own (measured here: 58 → about 41 µs of CPU per poll, most of it the
 * kernel's). Bounded; only valid paths.
 */
type ParsedPaths = Map<string, { key: string; job: K2powJob }>;
const PARSED_PATHS_KEPT = 1024;

function parseJobPath(path: string, cache: ParsedPaths): { key: string; job: K2powJob } | Response {
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  const parts = path.split("/");
  if (parts.length !== JOB_PARTS.length) {
    return text(`expected /job/${JOB_PARTS.join("/")}, got ${parts.length} path part(s)\n`, 400);
  }
  let decoded: string[];
  try {
    decoded = parts.map(decodeURIComponent);
  } catch {
    return text("the job path is not valid percent-encoding\n", 400);
  }
  const parsed = parseJob(Object.fromEntries(JOB_PARTS.map((part, i) => [part, decoded[i]!])) as JobParams);
  if (!parsed.ok) return text(`${parsed.message}\n`, 400);
  if (cache.size >= PARSED_PATHS_KEPT) cache.clear();
  const entry = { key: parsed.key, job: parsed.job };
  cache.set(path, entry);
  return entry;
}

function answerJob(jobs: JobManager, path: string, cache: ParsedPaths, busyStatus: number): Response {
  const parsed = parseJobPath(path, cache);
  if (parsed instanceof Response) return parsed;
  const answer = jobs.request(parsed.key, parsed.job);
  switch (answer.kind) {
    case "accepted":
      return new Response(null, { status: 201 });
    case "done":
      return text(answer.nonce.toString(), 200);
    case "failed":
      return text(answer.error, 500);
    case "busy":
      return text("busy with another job; retry later\n", busyStatus, { "retry-after": "5" });
  }
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
