// The parts of post-service's job API (SPEC §3) that the worker and the pool answer alike: the job path parsed once
// and cached, a job manager's answer turned into exactly the status and body post-service relies on, and requests
// routed past Elysia's short-Host bug with Basic auth on everything but the health check.
import type { Elysia } from "elysia";
import type { K2powJob } from "../engine/k2pow-rule";
import type { JobAnswer } from "../jobs/job-manager";
import { JOB_PARTS, parseJob, type JobParams } from "../jobs/job-params";

/** Whoever answers job requests: the worker's job manager or the pool's coordinator. */
export interface JobDesk {
  request(key: string, job: K2powJob): JobAnswer;
}

export const HEALTH_BODY = "{ 'message': 'ok' }";

export const text = (body: string, status: number, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });

/**
 * A fetch handler for `app`. Elysia 1.4 takes the path to start at the first "/" from offset 11 of request.url,
 * which misroutes a request whose Host has 3 characters or fewer ("pow", "lb"), has no Host (Bun then gives only
 * the path: HTTP/1.0, as HAProxy's health checks send), or carries a fragment. Such a request is handed over with a
 * fixed origin; the others as they are, since polls must stay cheap. Auth is decided on the very path Elysia routes.
 */
export function routeRequests(
  app: { handle: Elysia["handle"] },
  authorized: ((header: string | null) => boolean) | null,
): (request: Request) => Response | Promise<Response> {
  return (request) => {
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
}

const ORIGIN = "http://k2pow.invalid";

/**
 * Job paths already parsed. post-service polls the same few paths again and again; parsing each once keeps a
 * poll's cost near the HTTP server's own (measured here: 58 → about 41 µs of CPU per poll, most of it the
 * kernel's). Bounded; only valid paths.
 */
export type ParsedPaths = Map<string, { key: string; job: K2powJob }>;
const PARSED_PATHS_KEPT = 1024;

export function parseJobPath(path: string, cache: ParsedPaths): { key: string; job: K2powJob } | Response {
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

export function answerJob(jobs: JobDesk, path: string, cache: ParsedPaths, busyStatus: number): Response {
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
      return text(`${answer.reason ?? "busy with another job"}; retry later\n`, busyStatus, { "retry-after": "5" });
  }
}
