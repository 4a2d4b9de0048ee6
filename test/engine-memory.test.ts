// Resident memory of an engine while it searches, in a process of its own: the cache or dataset, 2 MiB of
// scratchpad per thread, and at most 150 MiB for everything else; with a dataset loaded from its file, the cache too
// (kept for the light re-check of answers), which is the budget fast mode is chosen by. After a build, the same budget
// holds a whole `k2pow serve` process (test/serve.test.ts, which builds one anyway).
import { expect, test } from "bun:test";
import { join } from "node:path";
import { sharedDatasetFile } from "./support/shared-dataset";

const MiB = 1024 * 1024;
const THREADS = 2;

async function measure(mode: "fast" | "light") {
  const args = mode === "fast" ? [await sharedDatasetFile()] : [];
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures", "resident.ts"), mode, String(THREADS), ...args], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(child.stdout).text();
  expect(await child.exited).toBe(0);
  return JSON.parse(out) as { residentBytes: number; hashes: number; source: string | null };
}

for (const [mode, base, source] of [
  ["light", 256 * MiB, null],
  ["fast", (2080 + 256) * MiB, "loaded"],
] as const) {
  test(`${mode} mode${source ? ` (dataset ${source})` : ""} stays within ${base / MiB} MiB + 2 MiB per thread + 150 MiB while searching`, async () => {
    const measured = await measure(mode);
    const budget = base + THREADS * 2 * MiB + 150 * MiB;
    console.log(`${mode} mode, ${THREADS} threads: resident ${(measured.residentBytes / MiB).toFixed(0)} MiB, budget ${budget / MiB} MiB`);
    expect(measured.source).toBe(source);
    expect(measured.hashes).toBeGreaterThan(0);
    expect(measured.residentBytes).toBeLessThanOrEqual(budget);
  }, 120_000);
}
