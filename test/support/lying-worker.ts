// A worker that holds the token and lies, for the pool's tests and benchmark: it speaks the pool protocol over a raw
// WebSocket and answers every range the way a dishonest or broken worker would. Whenever the pool closes it, it
// connects again, as a token holder bent on it would. Loopback only; stop() ends it.
import { MIN_SHARES } from "../../src/pool/proof-audit";
import { POOL_PATH, PROTOCOL_VERSION, type Work } from "../../src/pool/protocol";

export type Lie =
  /** `done` the moment a range arrives, with no shares. */
  | "done-at-once"
  /** As many nonces of the range as a `done` needs not to be caught at once (MIN_SHARES), never hashed, sent as shares. */
  | "random-shares"
  /** `found` with a nonce it never hashed. */
  | "wrong-nonce"
  /** A share for a range it was never given. */
  | "unknown-range";

export interface LyingWorker {
  /** How each connection ended, in order. */
  readonly closes: { code: number; reason: string }[];
  /** Ranges it was given. */
  readonly works: number;
  stop(): Promise<void>;
}

export function lyingWorker(base: string, token: string, lie: Lie, reconnectMs = 100): LyingWorker {
  const url = `${base.replace(/^http/, "ws")}${POOL_PATH}`;
  const closes: { code: number; reason: string }[] = [];
  let works = 0;
  let stopped = false;
  let socket: WebSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ended: () => void = () => {};
  const done = new Promise<void>((resolve) => (ended = resolve));

  const answer = (ws: WebSocket, work: Work) => {
    const send = (message: object) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(message));
    const start = BigInt(work.start);
    const count = BigInt(work.count);
    switch (lie) {
      case "done-at-once":
        return send({ type: "done", range: work.range });
      case "random-shares": {
        const picked = new Set<bigint>();
        while (picked.size < MIN_SHARES) picked.add(start + BigInt(Math.floor(Math.random() * Number(count))));
        for (const nonce of picked) send({ type: "share", range: work.range, nonce: nonce.toString() });
        return send({ type: "done", range: work.range });
      }
      case "wrong-nonce":
        return send({ type: "found", range: work.range, nonce: (start + count / 2n).toString() });
      case "unknown-range":
        return send({ type: "share", range: work.range + 1_000_000, nonce: work.start });
    }
  };

  const connect = () => {
    if (stopped) return ended();
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () =>
      ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token, name: `liar-${lie}`, version: "test", threads: 1, mode: "fast" }));
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data as string) as { type: string };
      if (message.type !== "work") return;
      works++;
      answer(ws, message as Work);
    };
    ws.onclose = (event) => {
      socket = null;
      closes.push({ code: event.code, reason: event.reason });
      if (stopped) return ended();
      timer = setTimeout(connect, reconnectMs);
    };
  };
  connect();

  return {
    closes,
    get works() {
      return works;
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      if (socket === null) ended();
      else socket.close(1000, "test over");
      return done;
    },
  };
}
