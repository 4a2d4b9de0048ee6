// One engine measurement, in its own process so that its dataset never shares memory with another run's and its
// resident memory is its own. Started by bench/engine.ts; prints one JSON line (a RunResult) on stdout.
//   bun bench/engine-run.ts --mode fast|light --pages auto|hugetlb|thp|plain --threads T --seconds S
import { parseArgs } from "node:util";
import { CACHE_BYTES, Engine, RUNTIME_BYTES, SCRATCHPAD_BYTES, type RandomxMode } from "../src/engine/engine";
import { SearchCancelled } from "../src/engine/engine-error";
import type { K2powJob } from "../src/engine/k2pow-rule";
import { openNative } from "../src/engine/native";
import { nativePaths } from "../src/engine/native-paths";
import type { PageRequest } from "../src/engine/page-mode";
import { residentBytes } from "../src/engine/resources";

export interface RunResult {
  mode: RandomxMode;
  /** The page mode the engine ended up with. */
  pages: string | null;
  threads: number;
  datasetBuildSeconds: number | null;
  hashesPerSecond: number;
  residentBytes: number;
  budgetBytes: number;
  hugePageBytes: number | null;
}

/** Hashing before the timed window: the first hashes fault in scratchpads and JIT code. */
const WARMUP_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(mode: RandomxMode, pages: PageRequest, threads: number, seconds: number): Promise<RunResult> {
  const engine = new Engine({ mode, threads, pages, onNote: (m) => console.error(`engine-run: ${m}`) });
  try {
    await engine.ready;
    // A difficulty of 1: a hash below it has odds of 2^-256, so the search runs until it is stopped.
    const difficulty = new Uint8Array(32);
    difficulty[31] = 1;
    const job: K2powJob = { miner: new Uint8Array(32).fill(7), nonceGroup: 0, challenge: new Uint8Array(8), difficulty };
    const controller = new AbortController();
    const search = engine.search(job, { signal: controller.signal });

    await sleep(WARMUP_MS);
    const t0 = performance.now();
    const h0 = engine.status().hashes;
    await sleep(seconds * 1000);
    const t1 = performance.now();
    const h1 = engine.status().hashes;
    const resident = residentBytes(); // while the search still runs: dataset, VMs, threads all live
    controller.abort();
    try {
      await search;
      throw new Error("the search ended with a nonce; the benchmark job should never be met");
    } catch (err) {
      if (!(err instanceof SearchCancelled)) throw err;
    }

    const status = engine.status();
    const datasetBytes = mode === "fast" ? Number(openNative(nativePaths).k2pow_dataset_bytes()) : CACHE_BYTES;
    return {
      mode,
      pages: status.pages,
      threads,
      datasetBuildSeconds: status.dataset?.seconds ?? null,
      hashesPerSecond: Number(h1 - h0) / ((t1 - t0) / 1000),
      residentBytes: resident,
      budgetBytes: datasetBytes + SCRATCHPAD_BYTES * threads + RUNTIME_BYTES,
      hugePageBytes: status.hugePageBytes,
    };
  } finally {
    await engine.close();
  }
}

const { values } = parseArgs({
  options: {
    mode: { type: "string", default: "fast" },
    pages: { type: "string", default: "auto" },
    threads: { type: "string", default: "2" },
    seconds: { type: "string", default: "10" },
  },
  strict: true,
});
const mode = values.mode;
const pages = values.pages;
const threads = Number(values.threads);
const seconds = Number(values.seconds);
if (mode !== "fast" && mode !== "light") throw new Error(`--mode must be fast or light, got ${mode}`);
if (pages !== "auto" && pages !== "hugetlb" && pages !== "thp" && pages !== "plain") {
  throw new Error(`--pages must be auto, hugetlb, thp or plain, got ${pages}`);
}
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a positive whole number`);
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number`);

console.log(JSON.stringify(await measure(mode, pages, threads, seconds)));
