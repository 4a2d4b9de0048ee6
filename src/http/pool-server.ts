// The pool's transport: post-service's job API (SPEC §3) plus DELETE to cancel, status and metrics over HTTP, and
// the workers' WebSocket on the same port. Decodes and hands everything to the coordinator; decides nothing.
import { Elysia } from "elysia";
import type { Server, ServerWebSocket } from "bun";
import { Counter, Gauge, Registry } from "prom-client";
import type { Coordinator, PoolEvent } from "../pool/coordinator";
import { CLOSE, decodeWorkerMessage, HELLO_SECONDS, MAX_MESSAGE_BYTES, POOL_PATH } from "../pool/protocol";
import { basicAuth } from "./basic-auth";
import { answerJob, HEALTH_BODY, parseJobPath, routeRequests, text, type ParsedPaths } from "./job-route";

export interface PoolServerOptions {
  coordinator: Coordinator;
  version: string;
  /** "user:password" for HTTP Basic auth on the job API, status and metrics; workers use their token instead. */
  auth?: string;
}

interface Connection {
  id: number | null;
  remote: string;
  helloTimer: ReturnType<typeof setTimeout> | null;
}

export function createPoolServer({ coordinator, version, auth }: PoolServerOptions) {
  const parsedPaths: ParsedPaths = new Map();
  const started = performance.now();
  const metrics = poolMetrics(coordinator);

  const app = new Elysia()
    .get("/", () => text(HEALTH_BODY, 200))
    .get("/job/*", ({ params }) => answerJob(coordinator, params["*"], parsedPaths, 429))
    .delete("/job/*", ({ params }) => {
      const parsed = parseJobPath(params["*"], parsedPaths);
      if (parsed instanceof Response) return parsed;
      return coordinator.cancel(parsed.key) ? text("cancelled\n", 200) : text("no such job\n", 404);
    })
    .get("/status", () =>
      Response.json(
        { version, uptimeSeconds: (performance.now() - started) / 1000, ...coordinator.status() },
        { headers: { "cache-control": "no-store" } },
      ),
    )
    .get("/metrics", async () => text(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }))
    .onError(({ code, error }) => {
      if (code === "NOT_FOUND") return text("not found\n", 404);
      return text(`internal error: ${(error as Error).message ?? String(error)}\n`, 500);
    });
  const route = routeRequests(app, auth ? basicAuth(auth) : null);

  const websocket = {
    // Bun's own limit is a backstop; the protocol's smaller one is checked with a reason the worker can log.
    maxPayloadLength: MAX_MESSAGE_BYTES * 4,
    idleTimeout: 60,
    sendPings: true,
    open(ws: ServerWebSocket<Connection>) {
      ws.data.helloTimer = setTimeout(() => ws.close(CLOSE.malformed, `no hello within ${HELLO_SECONDS} s`), HELLO_SECONDS * 1000);
    },
    message(ws: ServerWebSocket<Connection>, data: string | Buffer) {
      const decoded = decodeWorkerMessage(data);
      if (!decoded.ok) return ws.close(decoded.code, decoded.reason);
      const connection = ws.data;
      if (connection.id !== null) return coordinator.receive(connection.id, decoded.message);
      if (decoded.message.type !== "hello") return ws.close(CLOSE.malformed, "the first message must be hello");
      clearTimeout(connection.helloTimer ?? undefined);
      const joined = coordinator.join(
        { send: (m) => ws.send(JSON.stringify(m)), close: (code, reason) => ws.close(code, reason), remote: connection.remote },
        decoded.message,
      );
      if (joined.ok) connection.id = joined.id;
      else ws.close(joined.code, joined.reason);
    },
    close(ws: ServerWebSocket<Connection>, code: number, reason: string) {
      clearTimeout(ws.data.helloTimer ?? undefined);
      if (ws.data.id !== null) coordinator.leave(ws.data.id, `connection closed (${code}${reason ? `: ${reason}` : ""})`);
    },
  };

  const fetch = (request: Request, server: Server<Connection>): Response | Promise<Response> | undefined => {
    if (request.url.includes(POOL_PATH) && new URL(request.url, "http://k2pow.invalid").pathname === POOL_PATH) {
      const remote = server.requestIP(request);
      const data: Connection = { id: null, remote: remote ? `${remote.address}:${remote.port}` : "unknown", helloTimer: null };
      if (server.upgrade(request, { data })) return undefined;
      return text("this is the pool's worker endpoint: connect with 'k2pow join'\n", 426, { upgrade: "websocket" });
    }
    return route(request);
  };

  return {
    observe: metrics.observe,
    /** Without SO_REUSEPORT, so a second pool on the same port fails instead of sharing it unnoticed. */
    listen: (hostname: string, port: number) =>
      Bun.serve<Connection>({ hostname, port, reusePort: false, development: false, fetch, websocket }),
  };
}

function poolMetrics(coordinator: Coordinator) {
  const registry = new Registry();
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge("k2pow_pool_workers", "Workers connected.", () => coordinator.status().totals.workers);
  gauge("k2pow_pool_hash_rate", "Hashes per second of all workers, from the shares the pool checked.", () => coordinator.status().totals.hashRate);
  gauge("k2pow_pool_queue_length", "Jobs queued or running.", () => coordinator.status().totals.queued);
  const jobs = new Counter({ name: "k2pow_pool_jobs_total", help: "Jobs finished since start, by outcome.", labelNames: ["outcome"], registers: [registry] });
  for (const outcome of ["done", "failed", "cancelled"]) jobs.inc({ outcome }, 0);
  const dropped = new Counter({ name: "k2pow_pool_workers_dropped_total", help: "Workers disconnected for bad work or silence.", registers: [registry] });
  return {
    registry,
    observe(event: PoolEvent): void {
      if (event.type === "done" || event.type === "failed" || event.type === "cancelled") jobs.inc({ outcome: event.type });
      if (event.type === "dropped") dropped.inc();
    },
  };
}
