// k2pow --bench in its default mode (fast, all cores) reports what it measured; run again, it loads the dataset the
// first run saved. One second per thread count, not the default five: what is tested is what it reports, not how long
// it takes (the README gives that, measured).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./support/run";

const main = join(import.meta.dir, "..", "src", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "k2pow-bench-"));
const datasetFile = join(dir, "randomx-dataset.bin");
const env = { ...(process.env as Record<string, string>), K2POW_DATASET_FILE: datasetFile };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("--bench --json: one JSON object, progress as plain lines when not on a terminal", async () => {
  const { stdout: out, stderr: err, code } = await run([process.execPath, main, "--bench", "--json", "--units", "1000", "--seconds", "1"], { env });
  expect(code).toBe(0);
  const result = JSON.parse(out) as Record<string, unknown> & { byThreads: { threads: number; hashesPerSecond: number }[] };
  const threads = result.threads as number;
  console.log("--bench:", out.trim());
  expect(out.trim().split("\n").length).toBe(1);
  expect(result).toMatchObject({ mode: "fast", threads: expect.any(Number), pageMode: expect.stringMatching(/^(hugetlb|thp|plain)$/) });
  expect(result.hashesPerSecond as number).toBeGreaterThan(0);
  expect(result.datasetBuildSeconds as number).toBeGreaterThan(0);
  expect(result.byThreads.map((m) => m.threads)).toEqual(threads === 1 ? [1] : expect.arrayContaining([1, threads]));
  // The count a worker would choose, why, and the fastest of the counts measured around it.
  expect(result.threadsReason).toMatch(new RegExp(`^${threads} threads?: `));
  const fastest = result.byThreads.reduce((a, b) => (b.hashesPerSecond > a.hashesPerSecond ? b : a));
  expect(result.fastestThreads).toBe(fastest.threads);
  // 1,000 SU at post-service's default difficulty: about 4.7 M hashes per nonce group (SPEC §2).
  expect(Math.round((result.jobExpectedHashes as number) / 1e5)).toBe(47);
  expect(err).toMatch(/^k2pow: building the dataset$/m);
  expect(result).toMatchObject({ datasetSource: "built", datasetFile });
  // It waits for the dataset to be saved, so the next run finds it.
  expect(err).toMatch(/^k2pow: saving the dataset for the next start$/m);
  expect(statSync(datasetFile).size).toBe(4096 + 2_181_038_016);
}, 120_000);

test("--bench again: the dataset is loaded from the file the first run saved, and it says so", async () => {
  const { stdout: out, stderr: err, code } = await run([process.execPath, main, "--bench", "--json", "--units", "1000", "--seconds", "1"], { env });
  expect(code).toBe(0);
  const result = JSON.parse(out) as Record<string, unknown>;
  console.log("--bench with the dataset file:", out.trim());
  expect(result).toMatchObject({ mode: "fast", datasetSource: "loaded", datasetFile, datasetBuildSeconds: null, datasetSeconds: expect.any(Number) });
  expect(result.hashesPerSecond as number).toBeGreaterThan(0);
  expect(err).toMatch(/^k2pow: loading the dataset from its file$/m);
  expect(err).not.toMatch(/building the dataset/);
  const { stdout: report } = await run([process.execPath, main, "--bench", "--seconds", "1"], { env });
  expect(report).toMatch(/^dataset +loaded from .*randomx-dataset\.bin in \d+\.\d s \(built at an earlier start; --dataset-file none builds it anew\)$/m);
}, 120_000);
