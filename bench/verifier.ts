// Checks per second of the pool's verifier (src/pool/verifier.ts), in fast and in light mode, on one thread and on
// all cores: what one pool can check of its workers' nonces and shares.
//   npx bun bench/verifier.ts [--modes light,fast] [--windows 5] [--seconds 3]
// Every configuration runs after the previous one has closed, so at most one 2 GiB dataset exists at a time. The
// verifier's queue is kept full the whole time; each window counts the checks answered in it. Exits 0 with a
// table, 1 when a configuration could not be measured.
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EngineError } from "../src/engine/engine-error";
import { Verifier, VerifierClosed, type CheckMode } from "../src/pool/verifier";

const COMMAND = "npx bun bench/verifier.ts [--modes light,fast] [--windows 5] [--seconds 3]";
/** /proc/stat counts in USER_HZ, which is 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;
/** Checks kept in the queue: enough that no thread ever idles for want of work (a batch is at most 64). */
const OUTSTANDING = 512;
const WARMUP_SECONDS = 1;

interface Row {
  mode: string;
  threads: number;
  startSeconds: number;
  perSecond: number[];
  capacity: number;
  /** How late a 10 ms timer on the main thread fired, worst of all windows. */
  timerLateMs: number;
  /** Cores' worth of CPU other processes used meanwhile: well above 0 makes the figures doubtful. */
  otherCores: number;
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a positive whole number, got ${text}`);
  return value;
}

/** CPU seconds the whole machine spent outside idle and I/O wait. */
function machineBusySeconds(): number {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  const [, user, nice, system, , , irq, softirq, steal] = cpu;
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS;
}

function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Keeps OUTSTANDING checks queued until the verifier closes, which refuses the rest; counts the answers. Any other
 * failure is kept for the report.
 */
function feed(verifier: Verifier): { answered: () => number; failure: () => Error | null } {
  let answered = 0;
  let failure: Error | null = null;
  let next = 0;
  const input = new Uint8Array(48);
  const target = new Uint8Array(32).fill(0x80);
  const submit = (): void => {
    // A different input each time, as real checks are: the nonce in the first bytes.
    new DataView(input.buffer).setUint32(0, next++, true);
    verifier.check(input, target, "share").then(
      () => {
        answered++;
        submit();
      },
      (err: Error) => {
        if (!(err instanceof VerifierClosed)) failure ??= err;
      },
    );
  };
  for (let i = 0; i < OUTSTANDING; i++) submit();
  return { answered: () => answered, failure: () => failure };
}

/** The worst lateness of a 10 ms timer over `seconds`. */
async function timerLateness(seconds: number): Promise<number> {
  let worst = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const due = performance.now() + 10;
    await Bun.sleep(10);
    worst = Math.max(worst, performance.now() - due);
  }
  return worst;
}

async function measure(mode: CheckMode, threads: number, windows: number, seconds: number): Promise<Row> {
  const started = performance.now();
  const verifier = new Verifier({ mode, threads });
  try {
    await verifier.ready;
    const startSeconds = (performance.now() - started) / 1000;
    const load = feed(verifier);
    await Bun.sleep(WARMUP_SECONDS * 1000);
    const perSecond: number[] = [];
    let timerLateMs = 0;
    const busyBefore = machineBusySeconds();
    const ownBefore = ownCpuSeconds();
    const wallBefore = performance.now();
    for (let w = 0; w < windows; w++) {
      const before = load.answered();
      const t0 = performance.now();
      timerLateMs = Math.max(timerLateMs, await timerLateness(seconds));
      perSecond.push(((load.answered() - before) * 1000) / (performance.now() - t0));
    }
    const wall = (performance.now() - wallBefore) / 1000;
    const otherCores = Math.max(0, machineBusySeconds() - busyBefore - (ownCpuSeconds() - ownBefore)) / wall;
    const capacity = verifier.capacity() ?? 0;
    const failure = load.failure();
    if (failure !== null) throw failure;
    return { mode: verifier.mode, threads, startSeconds, perSecond, capacity, timerLateMs, otherCores };
  } finally {
    await verifier.close();
  }
}

const { values } = parseArgs({
  options: {
    modes: { type: "string", default: "light,fast" },
    windows: { type: "string", default: "5" },
    seconds: { type: "string", default: "3" },
  },
});
const modes = values.modes.split(",");
for (const m of modes) if (m !== "light" && m !== "fast") fail(`--modes takes light and/or fast, got ${m}`);
const windows = positive("windows", values.windows);
const seconds = positive("seconds", values.seconds);
const cores = availableParallelism();
const threadCounts = cores === 1 ? [1] : [1, cores];

console.log(`$ ${COMMAND}`);
console.log(`${cores} cores; ${windows} windows of ${seconds} s per row after ${WARMUP_SECONDS} s of warm-up\n`);
const rows: Row[] = [];
let failed = false;
for (const mode of modes as CheckMode[]) {
  for (const threads of threadCounts) {
    console.error(`measuring ${mode} mode on ${threads} thread(s)...`);
    try {
      rows.push(await measure(mode, threads, windows, seconds));
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      console.log(`${mode} on ${threads} thread(s): not measured: ${err.message}`);
      failed = true;
    }
  }
}

const header = ["mode", "threads", "start s", "checks/s (median)", "ms/check/thread", "capacity()", "windows", "timer late ms", "other cores"];
const table = rows.map((r) => {
  const rate = median(r.perSecond);
  return [
    r.mode,
    String(r.threads),
    r.startSeconds.toFixed(1),
    rate.toFixed(1),
    ((1000 * r.threads) / rate).toFixed(2),
    r.capacity.toFixed(1),
    r.perSecond.map((x) => x.toFixed(0)).join(" "),
    r.timerLateMs.toFixed(1),
    r.otherCores.toFixed(2),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
for (const row of [header, ...table]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
process.exit(failed ? 1 : 0);
