// The pool's transport: post-service's job API (SPEC §3) plus DELETE to cancel, status and metrics over HTTP, served
// as the worker serves them (job-api-server.ts), and the workers' WebSocket on the same port. Decodes and hands
// everything to the coordinator, once admission (src/pool/admission.ts) has let the connection in; decides nothing.
import type { Server, ServerWebSocket } from "bun";
import type { Events } from "../jobs/job-api";
import { Admission } from "../pool/admission";
import type { Coordinator, PoolEvent } from "../pool/coordinator";
import { CLOSE, decodeWorkerMessage, HELLO_SECONDS, MAX_MESSAGE_BYTES, POOL_PATH, type PoolMessage } from "../pool/protocol";
import { serveJobApi } from "./job-api-server";
import { text } from "./job-route";
import { poolMetrics } from "./pool-metrics";
import type { TlsPem } from "./server";

export interface PoolServerOptions {
  /** The job API for post-services, and the side workers join, report to and leave. */
  coordinator: Coordinator;
  /** The coordinator's events, for the metrics. */
  events: Events<PoolEvent>;
  version: string;
  /** "user:password" for HTTP Basic auth on the job API, status and metrics; workers use their token instead. */
  auth?: string;
  /** The secret a worker's hello must carry. */
  workerToken: string;
  /** Jobs expected to take more hashes are refused with 400. */
  maxExpectedHashes: number;
  /** Shown in /status: the queue's bounds, as the coordinator was given them. */
  limits: { queueSize: number; queuePerAddress: number; jobTimeoutSeconds: number };
  /** Hears every connection refused before it became a worker (never with the token it sent). */
  onRefused?: (refusal: { remote: string; code: number; reason: string }) => void;
  /** Hears a request that failed inside the server: answered 500 with a generic line, the detail is for the log. */
  onFault?: (method: string, path: string, error: string) => void;
}

interface Connection {
  id: number | null;
  /** The peer's IP address, and with its port for logs. */
  address: string;
  remote: string;
  /** Counted by admission as waiting for its hello. */
  pending: boolean;
  helloTimer: ReturnType<typeof setTimeout> | null;
}

export function createPoolServer(options: PoolServerOptions) {
  const { coordinator, events, version, auth, workerToken, maxExpectedHashes, limits, onRefused, onFault } = options;
  const started = performance.now();
  const metrics = poolMetrics(coordinator, events);
  const admission = new Admission(workerToken, Date.now);
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
      ...status,
      recent: { ...status.recent, answers: status.recent.answers.map((a) => ({ ...a, nonce: a.nonce?.toString() ?? null })) },
    }),
    limits: { ...limits, maxExpectedHashes },
  });

  const refuse = (ws: ServerWebSocket<Connection>, code: number, reason: string) => {
    metrics.refused.inc({ code: String(code) });
    onRefused?.({ remote: ws.data.remote, code, reason });
    ws.close(code, reason);
  };

  // A worker closed for false work or broken messages is held off its next hellos: reconnecting to do it again
  // costs it, not the pool. Only one that presented the token: what a connection sends before its hello holds
  // nobody off, or a stranger sharing an address (a NAT, an IPv6 /64) with honest workers could keep them out.
  const closeWorker = (ws: ServerWebSocket<Connection>, code: number, reason: string) => {
    const admitted = ws.data.id !== null;
    if (admitted && (code === CLOSE.invalidWork || code === CLOSE.malformed || code === CLOSE.tooBig)) admission.invalidWork(ws.data.address);
    ws.close(code, reason);
  };

  const websocket = {
    // Bun's own limit is a backstop; the protocol's smaller one is checked with a reason the worker can log.
    maxPayloadLength: MAX_MESSAGE_BYTES * 4,
    idleTimeout: 60,
    sendPings: true,
    open(ws: ServerWebSocket<Connection>) {
      const verdict = admission.open(ws.data.address);
      if (!verdict.ok) return refuse(ws, verdict.code, verdict.reason);
      ws.data.pending = true;
      ws.data.helloTimer = setTimeout(() => ws.close(CLOSE.malformed, `no hello within ${HELLO_SECONDS} s`), HELLO_SECONDS * 1000);
    },
    message(ws: ServerWebSocket<Connection>, data: string | Buffer) {
      const connection = ws.data;
      // A connection refused a moment ago may still deliver what it had sent.
      if (connection.id === null && !connection.pending) return;
      const decoded = decodeWorkerMessage(data);
      if (!decoded.ok) return closeWorker(ws, decoded.code, decoded.reason);
      if (connection.id !== null) return coordinator.receive(connection.id, decoded.message);
      if (decoded.message.type !== "hello") return closeWorker(ws, CLOSE.malformed, "the first message must be hello");
      clearTimeout(connection.helloTimer ?? undefined);
      connection.pending = false;
      const verdict = admission.hello(connection.address, decoded.message);
      if (!verdict.ok) return refuse(ws, verdict.code, verdict.reason);
      const link = {
        send: (m: PoolMessage) => ws.send(JSON.stringify(m)),
        close: (code: number, reason: string) => closeWorker(ws, code, reason),
        remote: connection.remote,
      };
      connection.id = coordinator.join(link, decoded.message);
    },
    close(ws: ServerWebSocket<Connection>, code: number, reason: string) {
      const connection = ws.data;
      clearTimeout(connection.helloTimer ?? undefined);
      if (connection.pending) admission.abandon(connection.address);
      connection.pending = false;
      if (connection.id !== null) {
        admission.left(connection.address);
        coordinator.leave(connection.id, `connection closed (${code}${reason ? `: ${reason}` : ""})`);
      }
    },
  };

  const fetch = (request: Request, server: Server<Connection>): Response | Promise<Response> | undefined => {
    if (request.url.includes(POOL_PATH) && new URL(request.url, "http://k2pow.invalid").pathname === POOL_PATH) {
      const peer = server.requestIP(request);
      const data: Connection = {
        id: null,
        address: peer?.address ?? "unknown",
        remote: peer ? `${peer.address}:${peer.port}` : "unknown",
        pending: false,
        helloTimer: null,
      };
      if (server.upgrade(request, { data })) return undefined;
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
