// The pool's transport: post-service's job API (SPEC §3) plus DELETE to cancel, status and metrics over HTTP, served
// as the worker serves them (job-api-server.ts), and the workers' WebSocket on the same port, whose connections
// worker-sockets.ts takes through admission to the coordinator. Decides nothing.
import type { Server, ServerWebSocket } from "bun";
import { Admission } from "../pool/admission";
import type { Coordinator } from "../pool/coordinator";
import { MAX_MESSAGE_BYTES, POOL_PATH } from "../pool/protocol";
import { workerQuery } from "../pool/worker-list";
import { toWire } from "../wire/status";
import { serveJobApi } from "./job-api-server";
import { text } from "./job-route";
import { poolMetrics } from "./pool-metrics";
import type { TlsPem } from "./server";
import { connectionFrom, workerSockets, type Connection } from "./worker-sockets";

export interface PoolServerOptions {
  /** The job API for post-services, and the side workers join, report to and leave. */
  coordinator: Coordinator;
  version: string;
  /** "user:password" for HTTP Basic auth on the job API, status and metrics; workers use their token instead. */
  auth?: string;
  /** The secret a worker's hello must carry. */
  workerToken: string;
  /** Jobs expected to take more hashes are refused with 400. */
  maxExpectedHashes: number;
  /** Workers connected at most, in all (src/pool/admission.ts has the default and the other caps). */
  maxWorkers?: number;
  /** Shown in /status: the queue's bounds, as the coordinator was given them. */
  limits: { queueSize: number; queuePerAddress: number; jobTimeoutSeconds: number };
  /** Hears every connection refused before it became a worker (never with the token it sent). */
  onRefused?: (refusal: { remote: string; code: number; reason: string }) => void;
  /** Hears a request that failed inside the server: answered 500 with a generic line, the detail is for the log. */
  onFault?: (method: string, path: string, error: string) => void;
}

export function createPoolServer(options: PoolServerOptions) {
  const { coordinator, version, auth, workerToken, maxExpectedHashes, maxWorkers, limits, onRefused, onFault } = options;
  const started = performance.now();
  const metrics = poolMetrics(coordinator);
  const admission = new Admission(workerToken, Date.now, maxWorkers === undefined ? {} : { maxWorkers });
  const jobApi = serveJobApi({
    api: coordinator,
    what: "pool",
    auth,
    busyStatus: 429,
    onFault,
    maxExpectedHashes,
    queuePerAddress: limits.queuePerAddress,
    registry: metrics.registry,
    beforeScrape: metrics.beforeScrape,
    statusBody: (status) => ({
      version,
      uptimeSeconds: (performance.now() - started) / 1000,
      ...toWire(status),
    }),
    limits: { ...limits, maxExpectedHashes },
    statusPages: {
      workers: (query) => {
        const asked = workerQuery(query);
        return typeof asked === "string" ? asked : toWire(coordinator.workerPage(asked));
      },
    },
  });

  const sockets = workerSockets({
    workers: coordinator,
    admission,
    onRefused: (refusal) => {
      metrics.refused.inc({ code: String(refusal.code) });
      onRefused?.(refusal);
    },
  });
  const websocket = {
    // Bun's own limit is a backstop; the protocol's smaller one is checked with a reason the worker can log.
    maxPayloadLength: MAX_MESSAGE_BYTES * 4,
    idleTimeout: 60,
    sendPings: true,
    open: (ws: ServerWebSocket<Connection>) => sockets.open(ws),
    message: (ws: ServerWebSocket<Connection>, data: string | Buffer) => sockets.message(ws, data),
    close: (ws: ServerWebSocket<Connection>, code: number, reason: string) => sockets.close(ws, code, reason),
  };

  const fetch = (request: Request, server: Server<Connection>): Response | Promise<Response> | undefined => {
    if (request.url.includes(POOL_PATH) && new URL(request.url, "http://k2pow.invalid").pathname === POOL_PATH) {
      if (server.upgrade(request, { data: connectionFrom(server.requestIP(request)) })) return undefined;
      return text("this is the pool's worker endpoint: connect with 'k2pow join'\n", 426, { upgrade: "websocket" });
    }
    return jobApi.fetch(request, server);
  };

  return {
    /** Without SO_REUSEPORT, so a second pool on the same port fails instead of sharing it unnoticed. */
    listen: (hostname: string, port: number, tls?: TlsPem) => {
      const server = Bun.serve<Connection>({ hostname, port, reusePort: false, development: false, fetch, websocket, tls });
      jobApi.listening(hostname);
      return server;
    },
    /** Once listening: the line to log when the pool is open to the network without --auth, else null. */
    warning: jobApi.warning,
  };
}
