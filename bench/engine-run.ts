// One engine measurement, in its own process so that its dataset never shares memory with another run's and its
// resident memory is its own. Started by bench/engine.ts; prints one JSON line (a RunResult) on stdout.
//   bun bench/engine-run.ts --mode fast|light --pages auto|hugetlb|thp|plain --threads T --seconds S
import { parseArgs } from "node:util";
import { CACHE_BYTES } from "../src/engine/cache";
import { Engine, RUNTIME_BYTES, SCRATCHPAD_BYTES, type RandomxMode } from "../src/engine/engine";
import { measureHashRate } from "../src/engine/measure";
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

async function measure(mode: RandomxMode, pages: PageRequest, threads: number, seconds: number): Promise<RunResult> {
  const engine = new Engine({ mode, threads, pages, onNote: (m) => console.error(`engine-run: ${m}`) });
  try {
    await engine.ready;
    let resident = 0;
    // Resident memory is read while the search still runs: dataset, VMs and threads all live.
    const hashesPerSecond = await measureHashRate(engine, { seconds, beforeStop: () => (resident = residentBytes()) });

    const status = engine.status();
    const datasetBytes = mode === "fast" ? Number(openNative(nativePaths).k2pow_dataset_bytes()) : CACHE_BYTES;
    return {
      mode,
      pages: status.pages,
      threads,
      datasetBuildSeconds: status.dataset?.seconds ?? null,
      hashesPerSecond,
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
