// Resident memory of an engine while it searches, in a process of its own: the cache or dataset, 2 MiB of
// scratchpad per thread, and at most 150 MiB for everything else.
import { expect, test } from "bun:test";
import { join } from "node:path";

const MiB = 1024 * 1024;
const THREADS = 2;

async function measure(mode: "fast" | "light") {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures", "resident.ts"), mode, String(THREADS)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(child.stdout).text();
  expect(await child.exited).toBe(0);
  return JSON.parse(out) as { residentBytes: number; hashes: number };
}

for (const [mode, base] of [
  ["light", 256 * MiB],
  ["fast", 2080 * MiB],
] as const) {
  test(`${mode} mode stays within ${base / MiB} MiB + 2 MiB per thread + 150 MiB while searching`, async () => {
    const { residentBytes, hashes } = await measure(mode);
    const budget = base + THREADS * 2 * MiB + 150 * MiB;
    console.log(`${mode} mode, ${THREADS} threads: resident ${(residentBytes / MiB).toFixed(0)} MiB, budget ${budget / MiB} MiB`);
    expect(hashes).toBeGreaterThan(0);
    expect(residentBytes).toBeLessThanOrEqual(budget);
  });
}
