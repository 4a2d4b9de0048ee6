// One fast-mode dataset file for the whole run (every test file runs in this one process): the first test that
// asks builds the dataset and saves it, the others load it in a second or two. For tests about fast mode, not about
// the build; those build their own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../../src/engine/engine";

let file: Promise<{ path: string; builtWith: string | null }> | null = null;
let dir: string | null = null;

/** Removes the run's dataset file (2 GiB); called once the whole run is over. */
export function removeSharedDataset(): void {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
}

/** The path of a whole, checked dataset file; the first call takes a build (about 10 s on two cores). */
export async function sharedDatasetFile(): Promise<string> {
  return (await sharedDataset()).path;
}

/** The same, and what built it (the engine's default build: "AVX-512" or "AVX2" on x86-64). */
export function sharedDataset(): Promise<{ path: string; builtWith: string | null }> {
  file ??= (async () => {
    dir = mkdtempSync(join(tmpdir(), "k2pow-shared-dataset-"));
    const path = join(dir, "randomx-dataset.bin");
    const engine = new Engine({ mode: "fast", datasetFile: path });
    let builtWith: string | null = null;
    try {
      await engine.ready;
      builtWith = engine.status().dataset?.builtWith ?? null;
      await engine.datasetSaved();
      const save = engine.status().dataset?.file?.save;
      if (save !== "saved") throw new Error(`the run's shared dataset file was not saved (${save})`);
    } finally {
      await engine.close();
    }
    return { path, builtWith };
  })();
  return file;
}
