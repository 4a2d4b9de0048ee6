// How long a pool-sized range takes when one of the cores is also busy with another process, against the ideal:
// the range's hashes divided by the rate both search threads give together under the same load.
//   bun bench/uneven-cores.ts [--mode fast|light] [--range-seconds 5] [--rounds 5] [--pin]
// The other process is a busy loop pinned to the last core with `taskset`. Unpinned, the scheduler spreads the two
// search threads and the loop over both cores; with --pin, search thread i runs on core i only (as miners pin
// theirs, and as an SMT sibling or a noisy neighbour slows one thread), so the loop slows exactly one thread. Each
// round measures the rate (an open-ended search cut after 6 s, so both threads work the whole time), then times one
// range of about --range-seconds of that rate that holds no valid nonce, so it is searched to its end. Prints one
// JSON line per round and the medians, with and without the busy neighbour. Runs on any checkout with the engine's
// `search(job, { start, count, signal })`, so the same script measures the code before and after a change.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { Engine } from "../src/engine/engine";

const { values } = parseArgs({
  options: {
    mode: { type: "string", default: "fast" },
    "range-seconds": { type: "string", default: "5" },
    rounds: { type: "string", default: "5" },
    pin: { type: "boolean", default: false },
  },
});
const mode = values.mode === "light" ? "light" : "fast";
const rangeSeconds = Number(values["range-seconds"]);
const rounds = Number(values.rounds);
const threads = 2;
const cpus = availableParallelism();

// A difficulty of 1: no hash is below it, so every search runs to the end of its range.
const job = { miner: new Uint8Array(32).fill(7), nonceGroup: 3, challenge: new Uint8Array(8).fill(9), difficulty: new Uint8Array(32) };
job.difficulty[31] = 1;

const workerUrl = values.pin ? new URL("./pinned-search-worker.ts", import.meta.url) : undefined;
const engine = new Engine({ mode, threads, workerUrl, onNote: (m) => console.error(`engine: ${m}`) });
await engine.ready;

let next = 0n;
async function rate(): Promise<number> {
  const abort = new AbortController();
  const before = engine.status().hashes;
  const t0 = performance.now();
  const search = engine.search(job, { start: next, signal: abort.signal }).catch(() => null);
  await Bun.sleep(6_000);
  abort.abort();
  const seconds = (performance.now() - t0) / 1000;
  await search;
  const hashes = engine.status().hashes - before;
  next += hashes + 1_000n;
  return Number(hashes) / seconds;
}

async function range(count: bigint): Promise<number> {
  const t0 = performance.now();
  await engine.search(job, { start: next, count }).catch(() => null);
  next += count;
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function measure(neighbour: boolean): Promise<number> {
  const busy = neighbour ? Bun.spawn(["taskset", "-c", String(cpus - 1), "sh", "-c", "while :; do :; done"]) : null;
  try {
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const perSecond = await rate();
      const count = BigInt(Math.round(perSecond * rangeSeconds));
      const seconds = await range(count);
      const ideal = Number(count) / perSecond;
      ratios.push(seconds / ideal);
      console.log(JSON.stringify({ neighbour, round: r + 1, hashesPerSecond: +perSecond.toFixed(1), range: Number(count), seconds: +seconds.toFixed(2), ideal: +ideal.toFixed(2), ratio: +(seconds / ideal).toFixed(3) }));
    }
    return median(ratios);
  } finally {
    busy?.kill();
    await busy?.exited;
  }
}

try {
  const quiet = await measure(false);
  const loaded = await measure(true);
  console.log(`${mode} mode, ${threads} threads${values.pin ? " pinned to cores 0 and 1" : ""}, ranges of about ${rangeSeconds} s: time/ideal median ${quiet.toFixed(3)} alone, ${loaded.toFixed(3)} with a busy loop on core ${cpus - 1}`);
} finally {
  await engine.close();
}
