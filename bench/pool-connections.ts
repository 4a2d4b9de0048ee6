// Thousands of real worker connections to a real `k2pow pool` on loopback: each a WebSocket from a loopback address
// of its own group (127.1.x.y, --per-address to an address), that says hello, takes the range a job hands it and
// holds it, hearing the pool's heartbeats, while a post-service-like client polls. Measures what a connection costs
// the pool (resident memory), how fast the pool answers meanwhile (polls of the job and of GET /, whose latency is
// the pool's event loop's delay at the least), and how a restart's reconnect storm is absorbed when every worker
// comes back with `k2pow join`'s back-off (1 s, doubling to 30 s, ±25% jitter). Loopback only; it stops its pools.
//   bun bench/pool-connections.ts [--workers 5000] [--per-address 50] [--seconds 20] [--json]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { CLOSE, POOL_PATH, PROTOCOL_VERSION } from "../src/pool/protocol";
import { freePort } from "../test/support/free-port";
import { rawSocket, type RawSocket } from "../test/support/raw-ws";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "5000" },
    "per-address": { type: "string", default: "50" },
    seconds: { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
});
const WORKERS = Number(values.workers);
const PER_ADDRESS = Number(values["per-address"]);
const SECONDS = Number(values.seconds);
const TOKEN = "pool-connections-bench-token-0123456789";
const main = join(import.meta.dir, "..", "src", "main.ts");
const say = (line: string) => console.error(`pool-connections: ${line}`);
/** The goals of issue 22 for real connections. */
const GOALS = { workers: 5000, pollP99Ms: 50 };

const residentMiB = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB$/m)![1]) / 1024;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

/** A pool on `port` with room for every worker; resolves once it answers GET /. */
async function startPool(port: number): Promise<Subprocess> {
  const child = Bun.spawn(
    [process.execPath, main, "pool", "-b", `127.0.0.1:${port}`, "--db", ":memory:", "--check-mode", "light", "--max-workers", String(WORKERS + 100), "--log-level", "warn"],
    // Its log goes where this script's does: a pipe nobody reads would stop the pool once full.
    { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_WORKER_TOKEN: TOKEN }, stdout: "ignore", stderr: "inherit" },
  );
  await until("the pool to answer GET /", 30_000, async () => (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)) || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`the pool exited ${child.exitCode}`);
  return child;
}

/** One worker: connects, says hello, holds what it is given; comes back with join's back-off whenever it is closed. */
class Worker {
  socket: RawSocket | null = null;
  welcomed = false;
  welcomedAt = 0;
  ranges = 0;
  refusals = 0;
  attempts = 0;
  private delay = 1000;
  private stopped = false;

  constructor(
    private readonly index: number,
    private readonly port: () => number,
  ) {}

  get address(): string {
    const group = Math.floor(this.index / PER_ADDRESS) + 1;
    return `127.1.${group >> 8}.${group & 255}`;
  }

  connect(): void {
    if (this.stopped) return;
    this.attempts++;
    let welcomed = false;
    const socket = rawSocket(this.port(), POOL_PATH, this.address, (text) => {
      const { type } = JSON.parse(text) as { type: string };
      if (type === "welcome") {
        welcomed = this.welcomed = true;
        this.welcomedAt = performance.now();
        this.delay = 1000;
      } else if (type === "work") this.ranges++;
    });
    this.socket = socket;
    socket.opened.then(
      () => socket.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token: TOKEN, name: `c${this.index}`, version: "bench", threads: 1, mode: "light" })),
      () => {},
    );
    void socket.closed.then(({ code }) => {
      socket.end();
      this.welcomed = false;
      if (code === CLOSE.crowded || code === CLOSE.heldOff) this.refusals++;
      if (this.stopped) return;
      // As `k2pow join`: back to the first delay after a welcome, else twice the last, up to 30 s, jittered.
      const wait = Math.round(this.delay * (0.75 + Math.random() * 0.5));
      this.delay = welcomed ? 1000 : Math.min(30_000, this.delay * 2);
      setTimeout(() => this.connect(), wait);
    });
  }

  stop(): void {
    this.stopped = true;
    this.socket?.end();
  }
}

async function until(what: string, ms: number, done: () => boolean | Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (!(await done())) {
    if (performance.now() - started > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await Bun.sleep(100);
  }
  return (performance.now() - started) / 1000;
}

/** GET `path` every `everyMs` for `seconds`, with each answer's latency in milliseconds. */
async function poll(base: string, path: string, everyMs: number, seconds: number): Promise<{ ms: number[]; statuses: Set<number> }> {
  const ms: number[] = [];
  const statuses = new Set<number>();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    const r = await fetch(base + path);
    await r.arrayBuffer();
    ms.push(performance.now() - t);
    statuses.add(r.status);
    await Bun.sleep(everyMs);
  }
  return { ms, statuses };
}

const port = freePort();
let pool = await startPool(port);
const base = `http://127.0.0.1:${port}`;
const workers = Array.from({ length: WORKERS }, (_, i) => new Worker(i, () => port));
try {
  await Bun.sleep(2000);
  const before = residentMiB(pool.pid);
  say(`pool on port ${port}, ${before.toFixed(0)} MiB resident; connecting ${WORKERS} workers from ${Math.ceil(WORKERS / PER_ADDRESS)} addresses`);
  for (const w of workers) w.connect();
  const joinSeconds = await until(`${WORKERS} workers welcomed`, 300_000, () => workers.every((w) => w.welcomed));
  const joinRefusals = workers.reduce((n, w) => n + w.refusals, 0);
  await Bun.sleep(2000);
  Bun.gc(true);
  const after = residentMiB(pool.pid);
  say(`all in after ${joinSeconds.toFixed(1)} s (${joinRefusals} told to retry later first); ${after.toFixed(0)} MiB resident`);

  // A job for every worker to take a range of and hold, while post-service polls it and GET / is asked.
  const job = `/job/${"6c".repeat(32)}/0/0102030405060708/${"00000001" + "00".repeat(28)}`;
  const [jobPolls, healthPolls] = await Promise.all([poll(base, job, 200, SECONDS), poll(base, "/", 50, SECONDS)]);
  const ranges = workers.filter((w) => w.ranges > 0).length;
  await fetch(base + job, { method: "DELETE" });
  say(`${ranges} workers took a range; job polls p50 ${percentile(jobPolls.ms, 0.5).toFixed(1)} ms, p99 ${percentile(jobPolls.ms, 0.99).toFixed(1)} ms; GET / p99 ${percentile(healthPolls.ms, 0.99).toFixed(1)} ms`);

  // The restart: every worker is closed at once and comes back, with join's back-off, to a new pool on the same port.
  for (const w of workers) w.refusals = 0;
  pool.kill("SIGTERM");
  await pool.exited;
  const down = performance.now();
  pool = await startPool(port);
  const upAfter = (performance.now() - down) / 1000;
  const stormSeconds = await until("every worker back after the restart", 300_000, () => workers.every((w) => w.welcomed));
  const stormRefusals = workers.reduce((n, w) => n + w.refusals, 0);
  const maxAttempts = Math.max(...workers.map((w) => w.attempts));
  say(`restart: the new pool listened ${upAfter.toFixed(1)} s after the old one ended; every worker back ${stormSeconds.toFixed(1)} s later (${stormRefusals} told to retry later meanwhile)`);

  const report = {
    workers: WORKERS,
    perAddress: PER_ADDRESS,
    joinSeconds,
    joinRefusals,
    residentMiB: { before, after },
    kibPerWorker: ((after - before) * 1024) / WORKERS,
    rangesTaken: ranges,
    jobPollMs: { p50: percentile(jobPolls.ms, 0.5), p99: percentile(jobPolls.ms, 0.99), statuses: [...jobPolls.statuses] },
    getRootMs: { p50: percentile(healthPolls.ms, 0.5), p99: percentile(healthPolls.ms, 0.99), max: Math.max(...healthPolls.ms) },
    restart: { listenedAfterSeconds: upAfter, allBackSeconds: stormSeconds, refusals: stormRefusals, maxAttemptsOfOneWorker: maxAttempts },
  };
  if (values.json) console.log(JSON.stringify(report));
  else {
    const ok = (pass: boolean) => (pass ? "ok" : "MISSED");
    console.log(`${WORKERS} workers connected (${ok(WORKERS >= GOALS.workers)}), ${PER_ADDRESS} to an address; all in after ${joinSeconds.toFixed(1)} s`);
    console.log(`pool resident: ${before.toFixed(0)} MiB before, ${after.toFixed(0)} MiB with them: ${report.kibPerWorker.toFixed(1)} KiB a worker`);
    console.log(`a job: ${ranges} workers took a range; post-service's polls p50 ${report.jobPollMs.p50.toFixed(1)} ms, p99 ${report.jobPollMs.p99.toFixed(1)} ms (${ok(report.jobPollMs.p99 < GOALS.pollP99Ms)}); GET / p99 ${report.getRootMs.p99.toFixed(1)} ms, slowest ${report.getRootMs.max.toFixed(1)} ms`);
    console.log(`restart: all ${WORKERS} back ${stormSeconds.toFixed(1)} s after the new pool listened; ${stormRefusals} told to retry later on the way; at most ${maxAttempts} connection attempts by one worker in the whole run`);
  }
} finally {
  for (const w of workers) w.stop();
  pool.kill("SIGKILL");
}
