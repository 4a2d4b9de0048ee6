// A worker that searches only half of each range it is given, for the pool's tests: its first half, or every other
// nonce. It hashes for real (an engine's check batches, on its threads) and sends only genuine shares, so nothing it
// sends fails a check; it claims the whole range. Where its half yields fewer shares than a `done` needs not to be
// caught at once (MIN_SHARES), it searches on in the same order just until it has them, as a liar doing the least
// it can would. `halfWorker` plays it over a raw WebSocket (test/support/raw-ws.ts) against a real pool, from one
// loopback address or several in turn; loopback only, stop() ends it.
import type { Engine } from "../../src/engine/engine";
import { hashInput, HASH_SIZE, INPUT_SIZE, type K2powJob } from "../../src/engine/k2pow-rule";
import { MIN_SHARES } from "../../src/pool/proof-audit";
import { POOL_PATH, PROTOCOL_VERSION, type Work } from "../../src/pool/protocol";
import { rawSocket } from "./raw-ws";
import { fromHex } from "./vectors";

export type Half = "first-half" | "every-other";

export const jobOfWork = (work: Work): K2powJob => ({
  miner: fromHex(work.job.miner),
  nonceGroup: work.job.nonceGroup,
  challenge: fromHex(work.job.challenge),
  difficulty: fromHex(work.job.difficulty),
});

/** The nonces of `work` in the order such a worker hashes them: its half first, then the rest. */
function order(work: Work, half: Half): bigint[] {
  const start = BigInt(work.start);
  const count = Number(work.count);
  const first = Math.floor(count / 2);
  return Array.from({ length: count }, (_, i) =>
    half === "first-half" ? start + BigInt(i) : start + BigInt(i < first ? 2 * i : 2 * (i - first) + 1),
  );
}

/** Which of `nonces` hash below `target`, on the engine's first two threads. */
async function below(engine: Engine, job: K2powJob, nonces: bigint[], target: Uint8Array): Promise<boolean[]> {
  const passed = new Array<boolean>(nonces.length).fill(false);
  const threads = Math.min(2, engine.threads);
  await Promise.all(
    Array.from({ length: threads }, async (_, thread) => {
      const mine = nonces.map((nonce, i) => ({ nonce, i })).filter(({ i }) => i % threads === thread);
      if (mine.length === 0) return;
      const inputs = new Uint8Array(mine.length * INPUT_SIZE);
      const targets = new Uint8Array(mine.length * HASH_SIZE);
      mine.forEach(({ nonce }, k) => {
        inputs.set(hashInput(job, nonce), k * INPUT_SIZE);
        targets.set(target, k * HASH_SIZE);
      });
      const result = await engine.check(thread, inputs, targets);
      mine.forEach(({ i }, k) => (passed[i] = result.passed[k]!));
    }),
  );
  return passed;
}

/** One search at a time: an engine's thread takes one check batch at a time, and the workers may share an engine. */
let gate: Promise<unknown> = Promise.resolve();

/** What such a worker finds in `work`: its shares (ascending), and the first valid nonce among what it hashed. */
export function halfSearch(engine: Engine, work: Work, half: Half): Promise<{ shares: bigint[]; found: bigint | null }> {
  const result = gate.then(() => search(engine, work, half));
  gate = result.catch(() => {});
  return result;
}

async function search(engine: Engine, work: Work, half: Half): Promise<{ shares: bigint[]; found: bigint | null }> {
  const job = jobOfWork(work);
  const nonces = order(work, half);
  const target = fromHex(work.shareTarget);
  // Its half, then (only if that fell short of MIN_SHARES) on in the same order a batch at a time: what it hashes is
  // all it would, so it takes the time and CPU of the search it pretends to, not of the whole range.
  const halfCount = Math.ceil(nonces.length / 2);
  const shares: bigint[] = [];
  for (let from = 0, to = halfCount; from < nonces.length && (from < halfCount || shares.length < MIN_SHARES); from = to, to = Math.min(nonces.length, to + 64)) {
    const batch = nonces.slice(from, to);
    const passed = await below(engine, job, batch, target);
    for (let i = 0; i < batch.length && (from + i < halfCount || shares.length < MIN_SHARES); i++) if (passed[i]) shares.push(batch[i]!);
  }
  const valid = await below(engine, job, shares, job.difficulty);
  const found = shares.filter((_, i) => valid[i]).sort((a, b) => (a < b ? -1 : 1))[0] ?? null;
  return { shares: shares.sort((a, b) => (a < b ? -1 : 1)), found };
}

export interface HalfWorker {
  /** Ranges it was given, each with the connection (0, 1, …) it came on. */
  readonly given: { connection: number; work: Work }[];
  /** How each of its connections ended. */
  readonly closes: { code: number; reason: string }[];
  readonly works: number;
  stop(): Promise<void>;
}

export interface HalfWorkerOptions {
  /** Keeps a valid nonce it hashed to itself, as a liar that would stall the job does. */
  hideFinds?: boolean;
  /** Connects from these loopback addresses in turn, again each time it is closed: as another machine would. */
  addresses?: string[];
}

/**
 * Joins the pool at `base` as `name` and searches half of every range it is given, one range at a time; once closed
 * it comes back (from the next of `addresses`) until stopped.
 */
export function halfWorker(base: string, token: string, name: string, half: Half, engine: Engine, options: HalfWorkerOptions = {}): HalfWorker {
  const { hideFinds = false, addresses = ["127.0.0.1"] } = options;
  const port = Number(new URL(base).port);
  const given: { connection: number; work: Work }[] = [];
  const closes: { code: number; reason: string }[] = [];
  let stopped = false;
  let queue = Promise.resolve();
  let current: { ended: Promise<unknown>; end(): void } | null = null;

  const connect = (connection: number) => {
    let live = true;
    const socket = rawSocket(port, POOL_PATH, addresses[connection % addresses.length]!, (text) => {
      const message = JSON.parse(text) as { type: string };
      if (message.type !== "work" || stopped) return;
      const work = message as Work;
      given.push({ connection, work });
      queue = queue.then(async () => {
        if (stopped || !live) return;
        const { shares, found } = await halfSearch(engine, work, half);
        if (!live) return;
        if (found !== null && !hideFinds) return send({ type: "found", range: work.range, nonce: found.toString() });
        for (const nonce of shares) send({ type: "share", range: work.range, nonce: nonce.toString() });
        send({ type: "done", range: work.range });
      });
    });
    const send = (message: object): void => {
      if (live) socket.sendText(JSON.stringify(message));
    };
    socket.opened.then(
      () => send({ type: "hello", protocol: PROTOCOL_VERSION, token, name, version: "test", threads: 1, mode: "fast" }),
      () => {},
    );
    const ended = socket.closed.then(async (close) => {
      live = false;
      socket.end();
      closes.push(close);
      if (stopped) return;
      await Bun.sleep(300);
      if (!stopped) connect(connection + 1);
    });
    current = { ended, end: () => socket.end() };
  };
  connect(0);

  return {
    given,
    closes,
    get works() {
      return given.length;
    },
    async stop() {
      stopped = true;
      await queue.catch(() => {});
      current?.end();
      await current?.ended;
    },
  };
}
