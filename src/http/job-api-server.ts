// post-service's job API (SPEC §3) as the worker and the pool both serve it, from one place: the health check,
// GET and DELETE of /job/..., /status (and pages of it) and /metrics, with auth, refusals, limits and the open-to-the-network warning.
// Whatever does the work sits behind the job API seam (src/jobs/job-api.ts).
import { Elysia } from "elysia";
import type { Registry } from "prom-client";
import type { JobApi } from "../jobs/job-api";
import type { RateHistorySource } from "../jobs/rate-history";
import { dashboardPage } from "../ui/page";
import { openWarning } from "./access";
import { basicAuth } from "./basic-auth";
import { HEALTH_BODY, jobRoutes, peerOf, routeRequests, text, type Peers } from "./job-route";
import { HoldOffs } from "../net/hold-offs";
import { POOL_REFUSALS, Refusals, WORKER_REFUSALS } from "./refusals";

/** Who serves: the reasons it refuses requests for, and the name it counts them under. */
const SERVERS = {
  worker: { reasons: WORKER_REFUSALS, metric: "k2pow_requests_refused_total" },
  pool: { reasons: POOL_REFUSALS, metric: "k2pow_pool_requests_refused_total" },
} as const;

export interface JobApiServerOptions<Status> {
  api: JobApi<Status> & RateHistorySource;
  what: keyof typeof SERVERS;
  /** "user:password" to require HTTP Basic auth on everything but the health check. */
  auth?: string;
  /** The status for "busy with another job": 429 (post-service's), or 503 for a load balancer that retries it. */
  busyStatus: number;
  /** Jobs expected to take more hashes are refused with 400. */
  maxExpectedHashes: number;
  /** How many queued jobs one address may hold (the pool's); absent, no limit. */
  queuePerAddress?: number;
  /** What /metrics serves; the refusals counter joins it. */
  registry: Registry;
  /** Called before each scrape, to read the status once for all the gauges. */
  beforeScrape?: () => void;
  /** The body of GET /status from the job API's status; limits, security and refusals follow it. */
  statusBody: (status: Status) => Record<string, unknown>;
  /** Shown in /status as the bounds the server and its jobs were given. */
  limits: Record<string, number>;
  /**
   * More of the status under GET /status/NAME, behind the same auth: the JSON of the query's answer, or what is
   * wrong with the query (a 400). The pool's `workers`.
   */
  statusPages?: Record<string, (query: Record<string, string | undefined>) => unknown>;
  /** Hears every request once answered (for debug logs); absent, requests cost nothing extra. */
  onAnswered?: (method: string, path: string, status: number, ms: number) => void;
  /** Hears a request that failed inside the server (answered 500 with a generic line): what to log. */
  onFault?: (method: string, path: string, error: string) => void;
}

export function serveJobApi<Status>(options: JobApiServerOptions<Status>) {
  const { api, what, auth, busyStatus, maxExpectedHashes, queuePerAddress, registry, beforeScrape, statusBody, limits, statusPages = {}, onAnswered, onFault } =
    options;
  const refusals = new Refusals(SERVERS[what].reasons, registry, SERVERS[what].metric);
  const routes = jobRoutes(api, { busyStatus, maxExpectedHashes, queuePerAddress, refusals });
  const authorized = auth ? basicAuth(auth) : null;
  const security = { auth: authorized === null ? "none" : "basic", warning: null as string | null };

  const app = new Elysia()
    // Before the routes, so that it is theirs: a hook applies to the routes registered after it.
    .onError(({ code, error, request }) => {
      if (code === "NOT_FOUND") return text("not found\n", 404);
      // The detail is for the operator's log, not for whoever sent the request.
      onFault?.(request.method, new URL(request.url).pathname, error instanceof Error ? error.message : String(error));
      return text("internal error; the server's log has the detail\n", 500);
    })
    .get("/", () => text(HEALTH_BODY, 200))
    .get("/job/*", ({ params, request }) => routes.get(params["*"], peerOf(request)))
    .delete("/job/*", ({ params }) => routes.delete(params["*"]))
    .get("/status", () =>
      Response.json(
        { ...statusBody(api.status()), limits, security, refused: refusals.snapshot() },
        { headers: { "cache-control": "no-store" } },
      ),
    )
    .get("/status/history", ({ query }) => {
      const since = query.since === undefined ? undefined : Number(query.since);
      if (since !== undefined && !Number.isFinite(since)) return text("since must be milliseconds since the epoch\n", 400);
      return Response.json(api.rateHistory(since), { headers: { "cache-control": "no-store" } });
    })
    .get("/status/:page", ({ params, query }) => {
      const page = Object.hasOwn(statusPages, params.page) ? statusPages[params.page]! : null;
      if (page === null) return text("not found\n", 404);
      const body = page(query);
      if (typeof body === "string") return text(`${body}\n`, 400);
      return Response.json(body, { headers: { "cache-control": "no-store" } });
    })
    .get("/ui", ({ request }) => {
      // Elysia routes /ui/ here too, where the page's relative fetches would miss /status.
      if (new URL(request.url).pathname !== "/ui") return new Response(null, { status: 308, headers: { location: "../ui" } });
      const page = dashboardPage(what);
      return new Response(page.html, {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-cache",
          "x-content-type-options": "nosniff",
          "content-security-policy": page.contentSecurityPolicy,
        },
      });
    })
    .get("/metrics", async () => {
      beforeScrape?.();
      return text(await registry.metrics(), 200, { "content-type": registry.contentType });
    });

  const route = routeRequests(app, authorized, refusals, new HoldOffs<"password">(Date.now));
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
    /** Once listening on `hostname`: decides whether the server is open to the network without --auth. */
    listening(hostname: string): void {
      security.warning = openWarning(hostname, authorized !== null, what);
    },
    /** The line to log when the server is open to the network without --auth, else null. */
    warning: () => security.warning,
  };
}
