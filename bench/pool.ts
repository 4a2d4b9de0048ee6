// What splitting a job over a pool's workers is worth, and what coordinating and checking them costs the pool.
// Starts a pool at its defaults (checks in fast mode where the memory is there) and one light-mode worker of one
// thread, gives the pool a job that never finishes and measures how fast the job's nonces get searched; then cancels
// it, adds a second such worker, gives a fresh job and measures again; then once more with a worker that holds the
// token and answers `done` for every range the moment it gets it, reconnecting whenever it is dropped. Two workers
// must search at least 1.8x as fast as one (the pool hands out ranges without leaving workers idle), the liar must
// not cost the honest workers more than 10% of their speed, and the pool's own CPU (checks included) must stay
// under 5% of one core. Last, the checks per second a pool's verifier answers in fast and in light mode
// (bench/verifier.ts, run as it is). Loopback only; stops by itself.
//   bun bench/pool.ts [--warmup 15] [--windows 3] [--seconds 20] [--json]
// Rates come from the workers' debug log, not from polling the pool: each worker logs the range it starts, and a
// worker starts a range right after the pool took its last one as done, so the time between two range starts is
// that range's search plus the round trip to the pool for the next. Summing the finished ranges between a worker's
// first and last range start inside a window and dividing by the time between the two gives its rate to within the
// log's millisecond stamps, where the pool's `searched` moves in steps of a whole range (about 5 s of work) and would
// need the pool polled, which would cost the pool CPU this benchmark also measures. The pool is asked for /status
// once per window only, for its own count of the job's progress, printed beside as a check.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { CLOSE } from "../src/pool/protocol";
import { lyingWorker } from "../test/support/lying-worker";

/** A range a worker started: when (ms since the epoch, from its log) and how many nonces. */
interface RangeStart {
  at: number;
  count: number;
}

interface Worker {
  name: string;
  child: Subprocess;
  ranges: RangeStart[];
}

interface Window {
  workers: number;
  /** Nonces per second of each worker, and their sum. */
  rates: number[];
  hashRate: number;
  /** The pool's CPU as a share of one core, in percent. */
  poolCpuPercent: number;
  /** The workers' CPU, in cores: what they actually got of the machine. */
  workerCores: number;
  /** Cores' worth of CPU that processes outside this benchmark took: well above 0 makes the window doubtful. */
  otherCores: number;
}

interface Phase {
  windows: Window[];
  hashRate: number;
  /** The pool's own count: nonces in ranges finished (`job.searched` of /status) per second over the phase. */
  poolCountedRate: number;
}

const root = join(import.meta.dir, "..");
const mainTs = join(root, "src", "main.ts");
/** /proc counts in USER_HZ, which is 100 on every Linux the engine runs on. */
const CLOCK_TICKS = 100;
const NEED_RATIO = 1.8;
const NEED_LIAR_RATIO = 0.9;
const NEED_POOL_CPU_PERCENT = 5;
/** About 2^32 expected hashes (under the pools' bound on work): not met in the minutes this benchmark runs. */
const NEVER = `00000001${"00".repeat(28)}`;

const { values } = parseArgs({
  options: {
    warmup: { type: "string", default: "15" },
    windows: { type: "string", default: "3" },
    seconds: { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
  strict: true,
});
const warmupMs = positive("warmup", values.warmup) * 1000;
const windowCount = positive("windows", values.windows);
const windowMs = positive("seconds", values.seconds) * 1000;
const say = (line: string) => console.error(`pool-bench: ${line}`);

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!(value > 0)) {
    console.error(`pool-bench: --${name} must be a positive number, got ${text}`);
    process.exit(1);
  }
  return value;
}

/** CPU seconds a process has used, all its threads. */
function processSeconds(pid: number): number {
  // Fields 14 and 15 (utime, stime); the command name in field 2 may hold spaces, so count from its ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds spent by the whole machine outside idle and I/O wait (steal included: the host took it from us). */
function machineBusySeconds(): number {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  const [, user, nice, system, , , irq, softirq, steal] = cpu;
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS;
}

const ownSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Starts a k2pow command and hands each line it logs to `onLine`; the text so far is kept for error messages. */
function start(args: string[], env: Record<string, string>, onLine: (line: string) => void): { child: Subprocess; log: () => string } {
  const child = Bun.spawn([process.execPath, mainTs, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  let text = "";
  (async () => {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of child.stderr as ReadableStream<Uint8Array>) {
      const got = decoder.decode(chunk, { stream: true });
      text += got;
      const lines = (partial + got).split("\n");
      partial = lines.pop()!;
      for (const line of lines) onLine(line);
    }
  })();
  return { child, log: () => text };
}

async function waitFor<T>(what: string, ms: number, log: () => string, test: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = test();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s; its log:\n${log()}`);
    await Bun.sleep(50);
  }
}

async function startWorker(base: string, env: Record<string, string>, name: string): Promise<Worker> {
  const ranges: RangeStart[] = [];
  let connected = false;
  const { child, log } = start(
    ["join", base, "--randomx-mode", "light", "--cores", "1", "--name", name, "--log-level", "debug", "--log-format", "json"],
    env,
    (line) => {
      if (!line.startsWith("{")) return; // not a log line: a crash's trace, kept in the log for the error message
      const entry = JSON.parse(line) as { time: string; message: string; count?: string };
      if (entry.message === "connected to the pool") connected = true;
      if (entry.message === "range") ranges.push({ at: Date.parse(entry.time), count: Number(entry.count) });
    },
  );
  const worker = { name, child, ranges };
  await waitFor(`${name} connecting`, 60_000, log, () => (connected ? true : undefined));
  return worker;
}

/** Nonces per second between the first and the last range the worker started in [from, to): whole ranges only. */
function workerRate(worker: Worker, from: number, to: number): number {
  const inside = worker.ranges.filter((r) => r.at >= from && r.at < to);
  if (inside.length < 2) throw new Error(`${worker.name} started fewer than 2 ranges in a window; make --seconds longer`);
  const finished = inside.slice(0, -1).reduce((sum, r) => sum + r.count, 0);
  return (finished * 1000) / (inside.at(-1)!.at - inside[0]!.at);
}

async function searched(base: string): Promise<{ at: number; searched: number; key: string }> {
  const { job } = (await (await fetch(`${base}/status`)).json()) as { job: { key: string; searched: string } | null };
  if (job === null) throw new Error("the pool has no running job");
  return { at: Date.now(), searched: Number(job.searched), key: job.key };
}

/** Runs a job that never finishes on the workers there are, measures `windowCount` windows, then cancels it. */
async function phase(base: string, poolPid: number, workers: Worker[], nonceGroup: number): Promise<Phase> {
  const job = `${base}/job/${"ab".repeat(32)}/${nonceGroup}/${"cd".repeat(8)}/${NEVER}`;
  const answer = await fetch(job);
  if (answer.status !== 201) throw new Error(`the pool answered the job with ${answer.status}: ${await answer.text()}`);
  say(`${workers.length} worker(s) on the job; warming up for ${warmupMs / 1000} s`);
  await Bun.sleep(warmupMs);

  const windows: Window[] = [];
  const first = await searched(base);
  for (let i = 0; i < windowCount; i++) {
    const from = Date.now();
    const pool0 = processSeconds(poolPid);
    const workers0 = workers.map((w) => processSeconds(w.child.pid));
    const own0 = ownSeconds();
    const busy0 = machineBusySeconds();
    await Bun.sleep(windowMs);
    const to = Date.now();
    const seconds = (to - from) / 1000;
    const pool = processSeconds(poolPid) - pool0;
    const workerCpu = workers.reduce((sum, w, j) => sum + processSeconds(w.child.pid) - workers0[j]!, 0);
    const other = machineBusySeconds() - busy0 - pool - workerCpu - (ownSeconds() - own0);
    const rates = workers.map((w) => workerRate(w, from, to));
    const window: Window = {
      workers: workers.length,
      rates,
      hashRate: rates.reduce((a, b) => a + b, 0),
      poolCpuPercent: (pool / seconds) * 100,
      workerCores: workerCpu / seconds,
      otherCores: Math.max(0, other / seconds),
    };
    windows.push(window);
    say(`window ${i + 1}/${windowCount}: ${window.hashRate.toFixed(2)} H/s, pool CPU ${window.poolCpuPercent.toFixed(2)}%`);
  }
  const last = await searched(base);
  if (last.key !== first.key) throw new Error("the running job changed during the measurement");
  const cancelled = await fetch(job, { method: "DELETE" });
  if (cancelled.status !== 200) throw new Error(`cancelling the job answered ${cancelled.status}`);
  return {
    windows,
    hashRate: median(windows.map((w) => w.hashRate)),
    poolCountedRate: ((last.searched - first.searched) * 1000) / (last.at - first.at),
  };
}

function printTable(windows: Window[]): void {
  const header = ["workers", "per worker H/s", "total H/s", "pool CPU %", "worker cores", "other cores"];
  const cells = windows.map((w) => [
    `${w.workers}`,
    w.rates.map((r) => r.toFixed(2)).join(" + "),
    w.hashRate.toFixed(2),
    w.poolCpuPercent.toFixed(2),
    w.workerCores.toFixed(2),
    w.otherCores.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => s.padStart(widths[i]!)).join("  ");
  console.log(line(header));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<boolean> {
  const env = { K2POW_WORKER_TOKEN: `bench-${crypto.randomUUID()}` };
  const children: Subprocess[] = [];
  const stopAll = async () => {
    for (const child of children) child.kill("SIGTERM");
    const timer = setTimeout(() => children.forEach((c) => c.kill("SIGKILL")), 5000);
    await Promise.all(children.map((c) => c.exited));
    clearTimeout(timer);
  };
  process.once("SIGINT", () => stopAll().then(() => process.exit(130)));
  try {
    let port: string | undefined;
    let checks: string | undefined;
    const pool = start(["pool", "-b", "127.0.0.1:0", "--db", ":memory:"], env, (line) => {
      port ??= line.match(/listening on .* port=(\d+)/)?.[1];
      checks ??= line.match(/checks ready: (.*)$/)?.[1];
    });
    children.push(pool.child);
    say("starting the pool and its checks (a fast-mode dataset takes about 25 s to build)");
    const base = `http://127.0.0.1:${await waitFor("the pool listening", 60_000, pool.log, () => port)}`;
    say(`checks ready: ${await waitFor("the pool's checks", 120_000, pool.log, () => checks)}`);

    const workers = [await startWorker(base, env, "w1")];
    children.push(workers[0]!.child);
    const one = await phase(base, pool.child.pid, workers, 1);

    say("adding a second worker");
    workers.push(await startWorker(base, env, "w2"));
    children.push(workers[1]!.child);
    const two = await phase(base, pool.child.pid, workers, 2);

    say("adding a worker that answers done at once and reconnects");
    const liar = lyingWorker(base, env.K2POW_WORKER_TOKEN, "done-at-once");
    let lied: Phase;
    try {
      lied = await phase(base, pool.child.pid, workers, 3);
    } finally {
      await liar.stop();
    }
    const liarClosed = liar.closes.filter((c) => c.code === CLOSE.invalidWork).length;
    const liarHeldOff = liar.closes.filter((c) => c.code === CLOSE.heldOff).length;
    const status = (await (await fetch(`${base}/status`)).json()) as { checks: { capacityPerSecond: number | null } };
    const checkCapacity = status.checks.capacityPerSecond ?? 0;

    const ratio = two.hashRate / one.hashRate;
    const liarRatio = lied.hashRate / two.hashRate;
    const liarOk = liarRatio >= NEED_LIAR_RATIO;
    const all = [...one.windows, ...two.windows, ...lied.windows];
    const cpu = all.map((w) => w.poolCpuPercent);
    const poolCpu = { median: median(cpu), max: Math.max(...cpu) };
    const scalingOk = ratio >= NEED_RATIO;
    const poolCpuOk = poolCpu.max < NEED_POOL_CPU_PERCENT;
    const busiest = Math.max(...all.map((w) => w.otherCores));
    if (values.json) {
      console.log(
        JSON.stringify({ one, two, lied, ratio, scalingOk, liarRatio, liarOk, liarClosed, liarHeldOff, checks, checkCapacity, poolCpuPercent: poolCpu, poolCpuOk, otherCoresMax: busiest }),
      );
    } else {
      const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
      console.log();
      printTable(all);
      console.log();
      for (const p of [one, two, lied]) {
        console.log(`${p.windows[0]!.workers} worker(s): ${p.hashRate.toFixed(2)} H/s (median of ${p.windows.length} windows); ` +
          `the pool's own count over the same time: ${p.poolCountedRate.toFixed(2)} H/s (moves in whole ranges)`);
      }
      console.log(`scaling, 2 workers / 1: ${two.hashRate.toFixed(2)} / ${one.hashRate.toFixed(2)} = ${ratio.toFixed(3)} ` +
        `(need >= ${NEED_RATIO}) ${verdict(scalingOk)}`);
      console.log(`2 honest workers with a done-at-once liar / without: ${lied.hashRate.toFixed(2)} / ${two.hashRate.toFixed(2)} = ` +
        `${liarRatio.toFixed(3)} (need >= ${NEED_LIAR_RATIO}) ${verdict(liarOk)}; the liar was dropped for false work ${liarClosed} ` +
        `time(s), and held off ${liarHeldOff} time(s) when it came back too soon`);
      console.log(`the pool's checks: ${checks}; measured capacity now ${checkCapacity.toFixed(0)} checks a second`);
      console.log(`pool CPU while coordinating: median ${poolCpu.median.toFixed(2)}%, max ${poolCpu.max.toFixed(2)}% of one core ` +
        `(need < ${NEED_POOL_CPU_PERCENT}%) ${verdict(poolCpuOk)}`);
      if (busiest > 0.1) {
        console.log(`note: other processes used up to ${busiest.toFixed(2)} cores during a window; ` +
          "the speed figures of such windows are less reliable");
      }
    }
    await stopAll();
    return scalingOk && liarOk && poolCpuOk && (values.json || (await verifierBench()));
  } finally {
    await stopAll();
  }
}

/** The verifier's checks per second in each mode, as bench/verifier.ts measures them; false when it could not. */
async function verifierBench(): Promise<boolean> {
  say("measuring the verifier's checks per second in light and fast mode (bench/verifier.ts)");
  const child = Bun.spawn([process.execPath, join(root, "bench", "verifier.ts"), "--windows", "3"], { cwd: root, stdout: "pipe", stderr: "inherit" });
  const table = await new Response(child.stdout).text();
  console.log();
  console.log(table.trimEnd());
  return (await child.exited) === 0;
}

try {
  process.exit((await main()) ? 0 : 1);
} catch (err) {
  console.error(`pool-bench: ${(err as Error).message}`);
  process.exit(1);
}
