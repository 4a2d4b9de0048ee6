// One fast-mode dataset file for the whole run, kept in build/ between runs like the other build outputs: `npm test`
// makes it before the suite starts (pretest), so the test files, which run in parallel processes, only load it, in a
// second or two each. A file run alone makes it on its first call if it is missing. For tests about fast mode, not
// about the build; those build their own.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Engine } from "../../src/engine/engine";

const dir = join(import.meta.dir, "..", "..", "build", "test-dataset");
const path = join(dir, "randomx-dataset.bin");
/** What built the file (the engine's default build: "AVX-512" or "AVX2" on x86-64), written beside it once it is saved. */
const builtWithPath = join(dir, "built-with.json");

let file: Promise<{ path: string; builtWith: string | null }> | null = null;

/** The path of a whole, checked dataset file; made on the first call if missing (about 25 s on two cores). */
export async function sharedDatasetFile(): Promise<string> {
  return (await sharedDataset()).path;
}

/** The same, and what built it. */
export function sharedDataset(): Promise<{ path: string; builtWith: string | null }> {
  file ??= existsSync(path) && existsSync(builtWithPath)
    ? Promise.resolve({ path, builtWith: (JSON.parse(readFileSync(builtWithPath, "utf8")) as { builtWith: string | null }).builtWith })
    : make();
  return file;
}

async function make(): Promise<{ path: string; builtWith: string | null }> {
  // A file without its note says nothing of what built it: built again.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const engine = new Engine({ mode: "fast", datasetFile: path });
  try {
    await engine.ready;
    await engine.datasetSaved();
    const dataset = engine.status().dataset;
    if (dataset?.file?.save !== "saved") throw new Error(`the tests' shared dataset file ${path} was not saved (${dataset?.file?.save})`);
    const builtWith = dataset.builtWith;
    writeFileSync(builtWithPath, JSON.stringify({ builtWith }));
    return { path, builtWith };
  } finally {
    await engine.close();
  }
}

// `npm test` runs this file before the suite (pretest), so that no test file waits on the build.
if (import.meta.main) {
  const started = performance.now();
  const { builtWith } = await sharedDataset();
  console.log(`tests' shared dataset: ${path} (built with ${builtWith}), ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
