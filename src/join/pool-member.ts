// The worker's side of the pool: connects out to the pool (no inbound port needed), searches the ranges it is
// given on the engine it was handed (built once, kept across reconnects), and reconnects with backoff when the pool
// goes away. Ranges run one after another; a stop or a lost connection cancels the one running.
import { fromHex } from "../bytes/hex";
import { explainTlsFailure } from "../client/tls-failure";
import { NoValidNonce, SearchCancelled } from "../engine/engine-error";
import type { SearchOptions, SearchResult } from "../engine/engine";
import type { K2powJob } from "../engine/k2pow-rule";
import { CLOSE, decodePoolMessage, HEARTBEAT_SECONDS, POOL_PATH, PROTOCOL_VERSION, type Work, type WorkerMessage } from "../pool/protocol";

/** What a pool member needs of an engine. */
export interface MemberEngine {
  readonly threads: number;
  readonly mode: "fast" | "light";
  search(job: K2powJob, options?: SearchOptions): Promise<SearchResult>;
}

export type MemberEvent =
  | { type: "connected"; worker: number }
  /** `welcomed`: the pool had admitted this connection; `tls`: it failed in its TLS handshake (the reason says why). */
  | { type: "disconnected"; code: number; reason: string; retrySeconds: number; welcomed: boolean; tls: boolean }
  /** beforeConnect refused this attempt: nothing was sent; another follows after retrySeconds. */
  | { type: "held-back"; reason: string; retrySeconds: number }
  | { type: "range"; range: number; start: bigint; count: bigint }
  | { type: "found"; range: number; nonce: bigint }
  | { type: "range-failed"; range: number; error: string };

export interface PoolMemberOptions {
  /** The pool's address as users give it: http(s)://host:port (ws(s):// works too). */
  poolUrl: string;
  /** PEM certificate(s) of the CA to trust for a wss:// pool, instead of the usual public ones. */
  ca?: string;
  token: string;
  name: string;
  version: string;
  engine: MemberEngine;
  onEvent?: (event: MemberEvent) => void;
  /** Reconnect delays: the first, doubled on each failure up to the last. */
  backoffMs?: { first: number; max: number };
  /**
   * Asked before every connection, the first and each reconnect: a reason not to connect now (the token would go in
   * clear text to an address that a name now resolves to), or null.
   */
  beforeConnect?: () => Promise<string | null>;
}

/** The pool's WebSocket address from the URL a user gives; throws a message naming what is wrong. */
export function poolSocketUrl(poolUrl: string): string {
  let url: URL;
  try {
    url = new URL(poolUrl);
  } catch {
    throw new Error(`'${poolUrl}' is not a URL; give the pool's address as http://HOST:PORT`);
  }
  const scheme = { "http:": "ws:", "https:": "wss:", "ws:": "ws:", "wss:": "wss:" }[url.protocol];
  if (scheme === undefined) throw new Error(`'${poolUrl}' must start with http://, https://, ws:// or wss://`);
  return `${scheme}//${url.host}${POOL_PATH}`;
}

export class PoolMember {
  private readonly socketUrl: string;
  private readonly emit: (event: MemberEvent) => void;
  private readonly backoff: { first: number; max: number };
  private stopped = false;
  private wake: (() => void) | null = null;
  private socket: WebSocket | null = null;
  private current: { range: number; abort: AbortController } | null = null;
  /** Ranges run strictly one after another: the engine runs one search at a time. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: PoolMemberOptions) {
    this.socketUrl = poolSocketUrl(options.poolUrl);
    this.emit = options.onEvent ?? (() => {});
    this.backoff = options.backoffMs ?? { first: 1000, max: 30_000 };
  }

  /** Works for the pool until stop(), or until the pool refuses this worker (wrong token or protocol). */
  async run(): Promise<{ refused: string } | { stopped: true }> {
    let delay = this.backoff.first;
    while (!this.stopped) {
      // Jitter, so that many workers do not all come back in the same instant after a pool restart.
      const jittered = () => Math.round(delay * (0.75 + Math.random() * 0.5));
      const heldBack = (await this.options.beforeConnect?.()) ?? null;
      let wait: number;
      if (heldBack !== null) {
        wait = jittered();
        this.emit({ type: "held-back", reason: heldBack, retrySeconds: wait / 1000 });
      } else {
        const { code, reason, welcomed, tls } = await this.session();
        if (this.stopped) break;
        if (code === CLOSE.refused) return { refused: reason };
        if (welcomed) delay = this.backoff.first;
        wait = jittered();
        this.emit({ type: "disconnected", code, reason, retrySeconds: wait / 1000, welcomed, tls });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
      delay = Math.min(this.backoff.max, delay * 2);
    }
    await this.chain;
    return { stopped: true };
  }

  /** Leaves the pool: the running range is cancelled and run() resolves. */
  stop(): void {
    this.stopped = true;
    this.current?.abort.abort();
    if (this.socket !== null) closeSoon(this.socket, 1000, "worker stopping");
    this.wake?.();
  }

  /** One connection, from opening to closing. */
  private session(): Promise<{ code: number; reason: string; welcomed: boolean; tls: boolean }> {
    return new Promise((resolve) => {
      const { ca } = this.options;
      const ws = new WebSocket(this.socketUrl, ca === undefined ? undefined : { tls: { ca } });
      this.socket = ws;
      let welcomed = false;
      // Why the connection failed, when its error event says more than its close event (a TLS handshake).
      let tlsFailure: string | null = null;
      let heard = Date.now();
      // A pool that vanished without closing the connection (its box went away) is noticed by its silence.
      const watchdog = setInterval(() => {
        if (Date.now() - heard > 4 * HEARTBEAT_SECONDS * 1000) closeSoon(ws, CLOSE.silent, "nothing heard from the pool");
      }, HEARTBEAT_SECONDS * 1000);
      ws.onopen = () => {
        const { token, name, version, engine } = this.options;
        this.send(ws, { type: "hello", protocol: PROTOCOL_VERSION, token, name, version, threads: engine.threads, mode: engine.mode });
      };
      ws.onmessage = (event: MessageEvent) => {
        heard = Date.now();
        const decoded = decodePoolMessage(event.data as string | Buffer);
        if (!decoded.ok) return closeSoon(ws, decoded.code, decoded.reason);
        const message = decoded.message;
        switch (message.type) {
          case "welcome":
            welcomed = true;
            return this.emit({ type: "connected", worker: message.worker });
          case "work":
            return this.startRange(ws, message);
          case "stop":
            if (this.current?.range === message.range) this.current.abort.abort();
            return;
          case "heartbeat":
            return;
        }
      };
      ws.onerror = (event: Event) => {
        tlsFailure = explainTlsFailure((event as ErrorEvent).error ?? {}, "the pool", new URL(this.socketUrl).host);
      };
      ws.onclose = (event: CloseEvent) => {
        clearInterval(watchdog);
        this.current?.abort.abort();
        this.socket = null;
        resolve({ code: event.code, reason: event.reason || tlsFailure || "connection closed", welcomed, tls: tlsFailure !== null });
      };
    });
  }

  private startRange(ws: WebSocket, work: Work): void {
    this.current?.abort.abort();
    const entry = { range: work.range, abort: new AbortController() };
    this.current = entry;
    this.chain = this.chain
      .then(() => this.search(ws, work, entry.abort.signal))
      // search() reports its own failures; anything else must not stop the ranges that follow.
      .catch((err: unknown) => this.emit({ type: "range-failed", range: work.range, error: String((err as Error)?.message ?? err) }))
      .finally(() => {
        if (this.current === entry) this.current = null;
      });
  }

  private async search(ws: WebSocket, work: Work, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const job: K2powJob = {
      miner: fromHex(work.job.miner, 32),
      nonceGroup: work.job.nonceGroup,
      challenge: fromHex(work.job.challenge, 8),
      difficulty: fromHex(work.job.difficulty, 32),
    };
    const range = work.range;
    const start = BigInt(work.start);
    const count = BigInt(work.count);
    this.emit({ type: "range", range, start, count });
    try {
      const { nonce } = await this.options.engine.search(job, {
        start,
        count,
        signal,
        shareTarget: fromHex(work.shareTarget, 32),
        onShare: (nonce) => this.send(ws, { type: "share", range, nonce: nonce.toString() }),
      });
      this.emit({ type: "found", range, nonce });
      this.send(ws, { type: "found", range, nonce: nonce.toString() });
    } catch (err) {
      if (err instanceof SearchCancelled) return;
      if (err instanceof NoValidNonce) return this.send(ws, { type: "done", range });
      const error = String((err as Error)?.message ?? err);
      this.emit({ type: "range-failed", range, error });
      this.send(ws, { type: "failed", range, error: error.slice(0, 500) });
    }
  }

  private send(ws: WebSocket, message: WorkerMessage): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }
}

/**
 * Closes a connection, and cuts it if the close handshake does not finish: a frozen or vanished pool never answers
 * it, and the connection would otherwise wait for TCP to give up, minutes later.
 */
function closeSoon(ws: WebSocket, code: number, reason: string): void {
  // A close reason is limited to 123 bytes; the pool's text may hold multibyte characters.
  let short = reason;
  while (Buffer.byteLength(short) > 120) short = short.slice(0, -1);
  ws.close(code, short);
  setTimeout(() => {
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }, 2000).unref();
}
