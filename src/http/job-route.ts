// The parts of post-service's job API (SPEC §3) that the worker and the pool answer alike: requests routed past
// Elysia's short-Host bug with Basic auth on everything but the health check and DELETE kept to this machine without
// it; the job path parsed once and cached; jobs past the work bound refused; the job API's answer turned into
// exactly the status and body post-service relies on; and every refusal counted by reason.
import type { Elysia } from "elysia";
import type { K2powJob } from "../engine/k2pow-rule";
import type { JobAnswer, JobApi } from "../jobs/job-api";
import { JOB_PARTS, parseJob, type JobParams } from "../jobs/job-params";
import { tooMuchWork } from "../jobs/work-bound";
import { addressKey } from "../net/address-scope";
import type { HoldOffs } from "../net/hold-offs";
import { mayCancel } from "./access";
import type { Refusals } from "./refusals";

export const HEALTH_BODY = "{ 'message': 'ok' }";

export const text = (body: string, status: number, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });

/** What routeRequests needs of Bun's server: the peer of a request. */
export interface Peers {
  requestIP(request: Request): { address: string } | null;
}

/** The peer's address of each request handed to Elysia, for handlers that need it; Elysia's context lacks it. */
const peers = new WeakMap<Request, string>();

/** The IP address a request handed on by routeRequests came from ("" when the socket did not say). */
export const peerOf = (request: Request): string => peers.get(request) ?? "";

/**
 * A fetch handler for `app`. Elysia 1.4 takes the path to start at the first "/" from offset 11 of request.url,
 * which misroutes a request whose Host has 3 characters or fewer ("pow", "lb"), has no Host (Bun then gives only
 * the path: HTTP/1.0, as HAProxy's health checks send), or carries a fragment. Such a request is handed over with a
 * fixed origin; the others as they are, since polls must stay cheap. Auth is decided on the very path Elysia routes.
 */
export function routeRequests(
  app: { handle: Elysia["handle"] },
  authorized: ((header: string | null) => boolean) | null,
  refusals: Refusals,
  guesses: HoldOffs<"password">,
): (request: Request, server: Peers) => Response | Promise<Response> {
  return (request, server) => {
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
        refusals.count("malformed");
        return text("malformed request target\n", 400);
      }
      path = url.pathname;
      forElysia = new Request(`${ORIGIN}${url.pathname}${url.search}`, { method: request.method, headers: request.headers });
    }
    const peer = server.requestIP(request)?.address ?? "";
    if (authorized !== null && path !== "/") {
      const header = request.headers.get("authorization");
      // Credentials from an address held off for wrong ones are not even checked: guessing costs a hold-off a guess.
      // Asking without any (a browser's first request) is no guess. Other addresses are not affected.
      const address = addressKey(peer);
      const held = header === null ? null : guesses.heldOff(address);
      if (held !== null) {
        refusals.count("guessing");
        return text(`too many wrong passwords from this address; wait ${held.seconds} s\n`, 429, { "retry-after": String(held.seconds) });
      }
      if (!authorized(header)) {
        if (header !== null) guesses.offend(address, "password");
        refusals.count("unauthorized");
        return text("authentication required\n", 401, { "www-authenticate": 'Basic realm="k2pow"' });
      }
    }
    if (request.method === "DELETE" && !mayCancel(peer || undefined, authorized !== null)) {
      refusals.count("forbidden");
      return text("cancelling a job from another machine needs k2pow to run with --auth USER:PASSWORD\n", 403);
    }
    peers.set(forElysia, peer);
    return app.handle(forElysia);
  };
}

const ORIGIN = "http://k2pow.invalid";

export interface JobRouteOptions {
  /** The status for "busy with another job": 429 (post-service's), or 503 for a load balancer that retries it. */
  busyStatus: number;
  /** A job expected to take more hashes is refused with 400 (src/jobs/work-bound.ts). */
  maxExpectedHashes: number;
  /** How many queued jobs one address may hold (the pool's); absent, no limit. */
  queuePerAddress?: number;
  refusals: Refusals;
}

interface ParsedPath {
  key: string;
  job: K2powJob;
  /** Why the job is refused as too much work; null when it is not. */
  tooMuch: string | null;
}

/**
 * GET and DELETE of /job/... over the job API. Paths are parsed once: post-service polls the same few paths again
 * and again, and parsing each once keeps a poll's cost near the HTTP server's own (measured here: 58 → about 41 µs
 * of CPU per poll, most of it the kernel's). The cache is bounded and holds only valid paths.
 */
export function jobRoutes(api: JobApi<unknown>, { busyStatus, maxExpectedHashes, queuePerAddress = Infinity, refusals }: JobRouteOptions) {
  const cache = new Map<string, ParsedPath>();

  const parse = (path: string): ParsedPath | Response => {
    const hit = cache.get(path);
    if (hit !== undefined) return hit;
    const parsed = parseJobPath(path);
    if (!parsed.ok) {
      refusals.count("malformed");
      return text(`${parsed.message}\n`, 400);
    }
    if (cache.size >= PARSED_PATHS_KEPT) cache.clear();
    const entry = { key: parsed.key, job: parsed.job, tooMuch: tooMuchWork(parsed.job.difficulty, maxExpectedHashes) };
    cache.set(path, entry);
    return entry;
  };

  return {
    get(path: string, address: string): Response {
      const parsed = parse(path);
      if (parsed instanceof Response) return parsed;
      // 400, which post-service does not retry: no identity asks for this, so the request itself is wrong.
      if (parsed.tooMuch !== null) {
        refusals.count("impossible");
        return text(`${parsed.tooMuch}\n`, 400);
      }
      return answer(api.request(parsed.key, parsed.job, { address, share: queuePerAddress }), busyStatus, refusals);
    },
    async delete(path: string): Promise<Response> {
      const parsed = parse(path);
      if (parsed instanceof Response) return parsed;
      return (await api.cancel(parsed.key)) ? text("cancelled\n", 200) : text("no such job\n", 404);
    },
  };
}

const PARSED_PATHS_KEPT = 1024;

function parseJobPath(path: string): { ok: true; key: string; job: K2powJob } | { ok: false; message: string } {
  const parts = path.split("/");
  if (parts.length !== JOB_PARTS.length) {
    return { ok: false, message: `expected /job/${JOB_PARTS.join("/")}, got ${parts.length} path part(s)` };
  }
  let decoded: string[];
  try {
    decoded = parts.map(decodeURIComponent);
  } catch {
    return { ok: false, message: "the job path is not valid percent-encoding" };
  }
  const parsed = parseJob(Object.fromEntries(JOB_PARTS.map((part, i) => [part, decoded[i]!])) as JobParams);
  return parsed.ok ? parsed : { ok: false, message: parsed.message };
}

function answer(answer: JobAnswer, busyStatus: number, refusals: Refusals): Response {
  switch (answer.kind) {
    case "accepted":
      return new Response(null, { status: 201 });
    case "done":
      return text(answer.nonce.toString(), 200);
    case "failed":
      return text(answer.error, 500);
    case "busy":
      refusals.count(answer.cause ?? "busy");
      return text(`${answer.reason ?? "busy with another job"}; retry later\n`, busyStatus, { "retry-after": "5" });
  }
}
