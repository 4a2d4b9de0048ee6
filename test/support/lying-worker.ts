// A worker that holds the token and lies, for the pool's tests and benchmark: it speaks the pool protocol over a raw
// WebSocket (test/support/raw-ws.ts, from a loopback address of its choosing) and answers every range the way a
// dishonest or broken worker would. Whenever the pool closes it, it connects again, as a token holder bent on it
// would. Loopback only; stop() ends it.
import { MIN_SHARES } from "../../src/pool/proof-audit";
import { POOL_PATH, PROTOCOL_VERSION, type Work } from "../../src/pool/protocol";
import { rawSocket, type RawSocket } from "./raw-ws";

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

export interface LyingWorkerOptions {
  /** How long it waits before connecting again after a close. */
  reconnectMs?: number;
  /** The loopback address it connects from: another machine, to the pool's per-address hold-offs. */
  address?: string;
}

export function lyingWorker(base: string, token: string, lie: Lie, options: LyingWorkerOptions = {}): LyingWorker {
  const { reconnectMs = 100, address = "127.0.0.1" } = options;
  const port = Number(new URL(base).port);
  const closes: { code: number; reason: string }[] = [];
  let works = 0;
  let stopped = false;
  let socket: RawSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ended: () => void = () => {};
  const done = new Promise<void>((resolve) => (ended = resolve));

  const answer = (send: (message: object) => void, work: Work) => {
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
    let live = true;
    const send = (message: object) => {
      if (live) raw.sendText(JSON.stringify(message));
    };
    const raw = rawSocket(port, POOL_PATH, address, (text) => {
      const message = JSON.parse(text) as { type: string };
      if (message.type !== "work") return;
      works++;
      answer(send, message as Work);
    });
    socket = raw;
    raw.opened.then(
      () => send({ type: "hello", protocol: PROTOCOL_VERSION, token, name: `liar-${lie}`, version: "test", threads: 1, mode: "fast" }),
      () => {},
    );
    void raw.closed.then((close) => {
      live = false;
      raw.end();
      socket = null;
      closes.push(close);
      if (stopped) return ended();
      timer = setTimeout(connect, reconnectMs);
    });
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
      else socket.end();
      return done;
    },
  };
}
