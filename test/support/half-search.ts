// A worker that searches only half of each range it is given, for the pool's tests: its first half, or every other
// nonce. It hashes for real (an engine's check batches, on its threads) and sends only genuine shares, so nothing it
// sends fails a check; it claims the whole range. Where its half yields fewer shares than a `done` needs not to be
// caught at once (MIN_SHARES), it searches on in the same order just until it has them, as a liar doing the least
// it can would. `halfWorker` plays it over a raw WebSocket against a real pool; loopback only, stop() ends it.
import type { Engine } from "../../src/engine/engine";
import { hashInput, HASH_SIZE, INPUT_SIZE, type K2powJob } from "../../src/engine/k2pow-rule";
import { MIN_SHARES } from "../../src/pool/proof-audit";
import { POOL_PATH, PROTOCOL_VERSION, type Work } from "../../src/pool/protocol";
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
  const share = await below(engine, job, nonces, fromHex(work.shareTarget));
  const searched: bigint[] = [];
  const shares: bigint[] = [];
  for (let i = 0; i < nonces.length && (i < nonces.length / 2 || shares.length < MIN_SHARES); i++) {
    searched.push(nonces[i]!);
    if (share[i]) shares.push(nonces[i]!);
  }
  const valid = await below(engine, job, shares, job.difficulty);
  const found = shares.filter((_, i) => valid[i]).sort((a, b) => (a < b ? -1 : 1))[0] ?? null;
  return { shares: shares.sort((a, b) => (a < b ? -1 : 1)), found };
}

export interface HalfWorker {
  /** Ranges it was given, and how its connections ended. */
  readonly works: number;
  readonly closes: { code: number; reason: string }[];
  stop(): Promise<void>;
}

/** Joins the pool at `base` as `name` and searches half of every range it is given, one range at a time. */
export function halfWorker(base: string, token: string, name: string, half: Half, engine: Engine): HalfWorker {
  const closes: { code: number; reason: string }[] = [];
  let works = 0;
  let stopped = false;
  let queue = Promise.resolve();
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}${POOL_PATH}`);
  const ended = new Promise<void>((resolve) => (ws.onclose = (event) => (closes.push({ code: event.code, reason: event.reason }), resolve())));
  const send = (message: object) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(message));
  ws.onopen = () => send({ type: "hello", protocol: PROTOCOL_VERSION, token, name, version: "test", threads: 1, mode: "fast" });
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data as string) as { type: string };
    if (message.type !== "work" || stopped) return;
    const work = message as Work;
    works++;
    queue = queue.then(async () => {
      if (stopped) return;
      const { shares, found } = await halfSearch(engine, work, half);
      if (found !== null) return void send({ type: "found", range: work.range, nonce: found.toString() });
      for (const nonce of shares) send({ type: "share", range: work.range, nonce: nonce.toString() });
      send({ type: "done", range: work.range });
    });
  };
  return {
    get works() {
      return works;
    },
    closes,
    async stop() {
      stopped = true;
      await queue.catch(() => {});
      ws.close();
      await ended;
    },
  };
}
