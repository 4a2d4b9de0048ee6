// Speed and memory of the engine against a plain C program driving the same shim (bench/c/shim-bench.c).
//   bun bench/engine.ts [--rounds N] [--seconds S] [--threads T]
// Each round runs the engine with its default pages, the C reference in the page mode the engine obtained, then both
// on plain pages, one after another, so slow drift of the machine (heat, other work) touches all alike; medians over
// rounds are compared. The C program's own page gain shows what huge pages are worth on this machine. Every run is its own process
// so that only one 2 GiB dataset exists at a time. Exits 0 whatever the verdicts: it is a report. It exits 1 only
// when a run could not be made at all.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { RunResult } from "./engine-run";

interface CResult {
  threads: number;
  pages: string;
  datasetBuildSeconds: number;
  hashesPerSecond: number[];
}

interface Row {
  round: string;
  what: string;
  pages: string;
  buildSeconds: number | null;
  hashesPerSecond: number;
  residentBytes: number | null;
  peakBytes: number;
  /** Cores' worth of CPU that other processes used during the run: well above 0 makes its speed doubtful. */
  otherCores: number;
}

interface Measured<T> {
  value: T;
  peakBytes: number;
  otherCores: number;
}

const MiB = 1024 * 1024;
const root = join(import.meta.dir, "..");
const nativeDir = join(root, "build", "native");
const benchBin = join(root, "build", "bench", "shim-bench");
/** /proc/stat counts in USER_HZ, which is 100 on every Linux the engine runs on. */
const CLOCK_TICKS = 100;

function positive(name: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    console.error(`bench: --${name} must be a positive ${integer ? "whole number" : "number"}, got ${text}`);
    process.exit(1);
  }
  return value;
}

/** CPU seconds spent by the whole machine outside idle and I/O wait (steal included: the host took it from us). */
function machineBusySeconds(): number {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  const [, user, nice, system, , , irq, softirq, steal] = cpu;
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS;
}

/** Runs a command, passing its stderr through, and returns its one line of JSON output and what the run cost. */
async function runJson<T>(argv: string[]): Promise<Measured<T>> {
  const busyBefore = machineBusySeconds();
  const started = performance.now();
  const child = Bun.spawn(argv, { cwd: root, stdout: "pipe", stderr: "inherit" });
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  const wall = (performance.now() - started) / 1000;
  const busy = machineBusySeconds() - busyBefore;
  if (code !== 0) throw new Error(`${argv.join(" ")} exited with ${code}`);
  const usage = child.resourceUsage();
  const own = usage ? Number(usage.cpuTime.total) / 1e6 : 0;
  return {
    value: JSON.parse(out.trim()) as T,
    peakBytes: usage?.maxRSS ?? 0,
    otherCores: Math.max(0, busy - own) / wall,
  };
}

/** Compiles the C reference against the shim in build/native; quick, so it is done every time. */
async function compileReference(): Promise<void> {
  mkdirSync(join(root, "build", "bench"), { recursive: true });
  const target = process.arch === "arm64" ? "arm64" : "x64";
  const argv = [
    process.env.CC ?? "cc", "-O2", "-std=gnu11", "-Wall", "-Wextra",
    `-I${join(root, "librandomx", target, "usr", "include")}`, `-I${join(root, "ffi")}`,
    "-o", benchBin, join(root, "bench", "c", "shim-bench.c"),
    `-L${nativeDir}`, "-lk2pow",
    // The program calls no librandomx symbol itself, but the shim's dependency on it must resolve through this
    // program's rpath, so it is kept as a direct dependency even where the linker defaults to --as-needed.
    "-Wl,--no-as-needed", "-l:librandomx.so.0", "-Wl,--as-needed",
    "-lpthread", `-Wl,-rpath,${nativeDir}`,
  ];
  const child = Bun.spawn(argv, { cwd: root, stdout: "inherit", stderr: "inherit" });
  if ((await child.exited) !== 0) throw new Error(`compiling the C reference failed: ${argv.join(" ")}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fixed = (n: number | null, digits: number) => (n === null ? "-" : n.toFixed(digits));
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

function printTable(rows: Row[]): void {
  const header = ["round", "run", "pages", "build s", "H/s", "RSS MiB", "peak MiB", "other cores"];
  const cells = rows.map((r) => [
    r.round,
    r.what,
    r.pages,
    fixed(r.buildSeconds, 1),
    fixed(r.hashesPerSecond, 1),
    r.residentBytes === null ? "-" : fixed(r.residentBytes / MiB, 0),
    fixed(r.peakBytes / MiB, 0),
    fixed(r.otherCores, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i < 3 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "10" },
      threads: { type: "string", default: "2" },
    },
    strict: true,
  });
  const rounds = positive("rounds", values.rounds, true);
  const seconds = positive("seconds", values.seconds, false);
  const threads = positive("threads", values.threads, true);

  await compileReference();
  const rows: Row[] = [];
  const runC = async (round: string, pages: string): Promise<CResult> => {
    const m = await runJson<CResult>([benchBin, `${threads}`, pages, `${seconds}`, "1"]);
    rows.push({ round, what: "C shim", pages: m.value.pages, buildSeconds: m.value.datasetBuildSeconds,
      hashesPerSecond: m.value.hashesPerSecond[0]!, residentBytes: null, peakBytes: m.peakBytes, otherCores: m.otherCores });
    return m.value;
  };
  const runEngine = async (round: string, mode: string, pages: string): Promise<RunResult> => {
    const m = await runJson<RunResult>([process.execPath, join(root, "bench", "engine-run.ts"),
      "--mode", mode, "--pages", pages, "--threads", `${threads}`, "--seconds", `${seconds}`]);
    const r = m.value;
    rows.push({ round, what: `engine ${mode}`, pages: r.pages ?? "-", buildSeconds: r.datasetBuildSeconds,
      hashesPerSecond: r.hashesPerSecond, residentBytes: r.residentBytes, peakBytes: m.peakBytes, otherCores: m.otherCores });
    return r;
  };

  const c: CResult[] = [];
  const cPlain: CResult[] = [];
  const byDefault: RunResult[] = [];
  const plain: RunResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    const name = `${round}/${rounds}`;
    console.error(`bench: round ${name}: engine, default pages`);
    const engineDefault = await runEngine(name, "fast", "auto");
    byDefault.push(engineDefault);
    console.error(`bench: round ${name}: C reference, ${engineDefault.pages} pages`);
    c.push(await runC(name, engineDefault.pages!));
    console.error(`bench: round ${name}: engine, plain pages`);
    plain.push(await runEngine(name, "fast", "plain"));
    console.error(`bench: round ${name}: C reference, plain pages`);
    cPlain.push(await runC(name, "plain"));
  }
  const defaultPages = [...new Set(byDefault.map((r) => r.pages))].join("/");
  console.error("bench: engine, light mode");
  // Light mode with the engine's default pages: reserved huge pages when free, else plain (THP never helps it).
  const light = await runEngine("-", "light", "auto");

  console.log();
  printTable(rows);
  console.log();

  const engineHs = median(byDefault.map((r) => r.hashesPerSecond));
  const cHs = median(c.map((r) => r.hashesPerSecond[0]!));
  const plainHs = median(plain.map((r) => r.hashesPerSecond));
  const cPlainHs = median(cPlain.map((r) => r.hashesPerSecond[0]!));
  const engineBuild = median(byDefault.map((r) => r.datasetBuildSeconds!));
  const cBuild = median(c.map((r) => r.datasetBuildSeconds));
  const speed = engineHs / cHs;
  const pagesGain = engineHs / plainHs;
  const build = engineBuild / cBuild;
  // Memory is judged on the largest run, not the median: the budget has to hold every time.
  const fast = [...byDefault, ...plain];
  const fastRss = Math.max(...fast.map((r) => r.residentBytes));
  const fastBudget = fast[0]!.budgetBytes;
  const mb = (bytes: number) => (bytes / MiB).toFixed(0);

  console.log(`engine/C hashes per second (${defaultPages}, ${threads} threads): ${engineHs.toFixed(1)} / ${cHs.toFixed(1)} = ` +
    `${speed.toFixed(3)} (need >= 0.97) ${verdict(speed >= 0.97)}`);
  console.log(`default pages (${defaultPages}) / plain pages, engine: ${engineHs.toFixed(1)} / ${plainHs.toFixed(1)} = ` +
    `${pagesGain.toFixed(3)} (need >= 1.6) ${verdict(pagesGain >= 1.6)}`);
  console.log(`  the same for the C reference (what huge pages are worth on this machine): ${cHs.toFixed(1)} / ` +
    `${cPlainHs.toFixed(1)} = ${(cHs / cPlainHs).toFixed(3)}`);
  console.log(`dataset build, engine/C: ${engineBuild.toFixed(2)} s / ${cBuild.toFixed(2)} s = ${build.toFixed(3)} ` +
    `(need <= 1.1) ${verdict(build <= 1.1)}`);
  console.log(`resident memory fast: ${mb(fastRss)} MiB, budget ${mb(fastBudget)} MiB ${verdict(fastRss <= fastBudget)}` +
    ` (largest of ${fast.length} runs)`);
  console.log(`resident memory light: ${mb(light.residentBytes)} MiB, budget ${mb(light.budgetBytes)} MiB ` +
    `${verdict(light.residentBytes <= light.budgetBytes)} (light: ${light.hashesPerSecond.toFixed(1)} H/s)`);
  const busiest = Math.max(...rows.map((r) => r.otherCores));
  if (busiest > 0.1) {
    console.log(`note: other processes used up to ${busiest.toFixed(2)} cores during a run; ` +
      "the speed figures of such runs are less reliable");
  }
}

try {
  await main();
} catch (err) {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
}
