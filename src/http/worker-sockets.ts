// The pool's worker connections, from open to close, on any socket that can send and close: admission first (how
// many may wait for a hello, whose token is right, which addresses are held off), then the decoded messages of an
// admitted worker to whoever runs the pool. Bun's WebSocket server is one such socket; tests drive it in-process.
// Where too many connections wait for their hello, the oldest of them makes way for the new one rather than the new
// one being refused: an honest worker says hello at once, so connections a neighbour leaves silent (behind the same
// NAT, or anywhere) cannot keep it out.
import { addressKey } from "../net/address-scope";
import type { Admission } from "../pool/admission";
import { CLOSE, decodeWorkerMessage, HELLO_SECONDS, type Hello, type PoolMessage, type WorkerMessage } from "../pool/protocol";
import type { WorkerLink } from "../pool/worker-session";

/** What the connections need of the pool: the coordinator's worker side. */
export interface PoolWorkers {
  join(link: WorkerLink, hello: Hello): number;
  receive(id: number, message: WorkerMessage): void;
  /** An admitted worker sent what could not be read; `code` is the close code that says how. */
  broken(id: number, code: number, reason: string): void;
  leave(id: number, reason: string): void;
}

/** One connection's state, kept on its socket. */
export interface Connection {
  /** The pool's id for it while it is a worker the pool knows; null before its hello and once the pool let it go. */
  id: number | null;
  /** Counted by admission as a worker, until it closes. */
  admitted: boolean;
  /** The peer's IP address, and with its port for logs. */
  address: string;
  remote: string;
  /** Counted by admission as waiting for its hello. */
  pending: boolean;
  helloTimer: ReturnType<typeof setTimeout> | null;
}

export function connectionFrom(peer: { address: string; port: number } | null): Connection {
  return {
    id: null,
    admitted: false,
    address: peer?.address ?? "unknown",
    remote: peer ? `${peer.address}:${peer.port}` : "unknown",
    pending: false,
    helloTimer: null,
  };
}

/** What a connection is to this module: Bun's ServerWebSocket has all of it. */
export interface WorkerSocket {
  readonly data: Connection;
  send(text: string): unknown;
  close(code?: number, reason?: string): void;
}

export interface WorkerSocketsOptions {
  workers: PoolWorkers;
  admission: Admission;
  /** Hears every connection refused before it became a worker (never with the token it sent). */
  onRefused?: (refusal: { remote: string; code: number; reason: string }) => void;
}

export function workerSockets({ workers, admission, onRefused }: WorkerSocketsOptions) {
  /** Connections waiting for their hello, oldest first: in all, and by address (an IPv6 /64). */
  const waiting = new Set<WorkerSocket>();
  const waitingBy = new Map<string, Set<WorkerSocket>>();
  const stopWaiting = (ws: WorkerSocket) => {
    ws.data.pending = false;
    clearTimeout(ws.data.helloTimer ?? undefined);
    waiting.delete(ws);
    const key = addressKey(ws.data.address);
    const mine = waitingBy.get(key);
    mine?.delete(ws);
    if (mine?.size === 0) waitingBy.delete(key);
  };
  /** The oldest waiting connection of the crowd that is full gives its place up, counted as gone at once. */
  const makeWay = (crowd: "address" | "pool", address: string): boolean => {
    const from = crowd === "address" ? waitingBy.get(addressKey(address)) : waiting;
    const oldest = from?.values().next().value;
    if (oldest === undefined) return false;
    stopWaiting(oldest);
    admission.abandon(oldest.data.address);
    refuse(oldest, CLOSE.crowded, "a newer connection took this one's place while it had not said hello");
    return true;
  };

  const refuse = (ws: WorkerSocket, code: number, reason: string) => {
    onRefused?.({ remote: ws.data.remote, code, reason });
    ws.close(code, reason);
  };

  /** The link the pool answers an admitted worker through. */
  const linkOf = (ws: WorkerSocket): WorkerLink => ({
    send: (m: PoolMessage) => void ws.send(JSON.stringify(m)),
    close: (code, reason) => {
      // The pool has let it go: its close is not a leave to report back.
      ws.data.id = null;
      ws.close(code, reason);
    },
    holdOff: () => admission.invalidWork(ws.data.address),
    remote: ws.data.remote,
    address: ws.data.address,
  });

  return {
    open(ws: WorkerSocket): void {
      const { address } = ws.data;
      let verdict = admission.open(address);
      if (!verdict.ok && verdict.crowd !== undefined && makeWay(verdict.crowd, address)) verdict = admission.open(address);
      if (!verdict.ok) return refuse(ws, verdict.code, verdict.reason);
      ws.data.pending = true;
      waiting.add(ws);
      const key = addressKey(address);
      waitingBy.set(key, (waitingBy.get(key) ?? new Set()).add(ws));
      ws.data.helloTimer = setTimeout(() => ws.close(CLOSE.malformed, `no hello within ${HELLO_SECONDS} s`), HELLO_SECONDS * 1000);
    },

    message(ws: WorkerSocket, data: string | Buffer): void {
      const connection = ws.data;
      // A connection refused a moment ago, or let go by the pool, may still deliver what it had sent.
      if (connection.id === null && !connection.pending) return;
      const decoded = decodeWorkerMessage(data);
      if (connection.id !== null) {
        if (!decoded.ok) return workers.broken(connection.id, decoded.code, decoded.reason);
        return workers.receive(connection.id, decoded.message);
      }
      // Before its hello nothing holds anyone off: a stranger sharing an address (a NAT, an IPv6 /64) with honest
      // workers could otherwise keep them out.
      if (!decoded.ok) return ws.close(decoded.code, decoded.reason);
      if (decoded.message.type !== "hello") return ws.close(CLOSE.malformed, "the first message must be hello");
      stopWaiting(ws);
      const verdict = admission.hello(connection.address, decoded.message);
      if (!verdict.ok) return refuse(ws, verdict.code, verdict.reason);
      connection.admitted = true;
      connection.id = workers.join(linkOf(ws), decoded.message);
    },

    close(ws: WorkerSocket, code: number, reason: string): void {
      const connection = ws.data;
      if (connection.pending) admission.abandon(connection.address);
      stopWaiting(ws);
      if (connection.admitted) admission.left(connection.address);
      connection.admitted = false;
      if (connection.id !== null) workers.leave(connection.id, `connection closed (${code}${reason ? `: ${reason}` : ""})`);
      connection.id = null;
    },
  };
}
