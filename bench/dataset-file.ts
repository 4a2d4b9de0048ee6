// What keeping the dataset on disk is worth, in one run, with the real executable's code (src/main.ts) in processes
// of their own: a cold start (no file: build, then save) against warm starts (load), the hash rate after a load
// against after a build, resident memory after each, `--bench` end to end with the file there, and a pool restarted
// with a queued job, its checks in light mode (fast dataset still building) and in fast mode (dataset loaded).
//
//   npx bun bench/dataset-file.ts [--warm 3] [--seconds 10] [--windows 3]
//
// Everything listens on loopback and stops by itself; the files live in a temporary directory removed at the end.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { warm: { type: "string", default: "3" }, seconds: { type: "string", default: "10" }, windows: { type: "string", default: "3" } } });
const WARM = Number(values.warm);
const SECONDS = Number(values.seconds);
const WINDOWS = Number(values.windows);
const main = new URL("../src/main.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "k2pow-dataset-bench-"));
const file = join(dir, "randomx-dataset.bin");
const TOKEN = "bench-token-0123456789abcdef";
const running = new Set<ReturnType<typeof Bun.spawn>>();

function spawn(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, main, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_DATASET_FILE: file, K2POW_WORKER_TOKEN: TOKEN, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  running.add(proc);
  let log = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of proc.stderr) log += decoder.decode(chunk);
  })();
  const started = performance.now();
  return {
    proc,
    log: () => log,
    /** Seconds from the spawn until `pattern` is in the log. */
    async when(pattern: RegExp, ms = 180_000): Promise<number> {
      const deadline = Date.now() + ms;
      while (!pattern.test(log)) {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no ${pattern} in time:\n${log}`);
        await Bun.sleep(10);
      }
      return (performance.now() - started) / 1000;
    },
    /** Seconds since the spawn. */
    elapsed: () => (performance.now() - started) / 1000,
    port: () => log.match(/listening on \S+ port=(\d+)/)?.[1],
    rssMiB: () => Number(readFileSync(`/proc/${proc.pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB$/m)![1]) / 1024,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      running.delete(proc);
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f1 = (x: number) => x.toFixed(1);

/** A fast-mode worker's hash rate over `seconds`, from its /status hash counter, on a job that never ends. */
async function hashRate(base: string, seconds: number): Promise<number> {
  const hashes = async () => Number(((await (await fetch(`${base}/status`)).json()) as { hashesTotal: number }).hashesTotal);
  const h0 = await hashes();
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000);
  return ((await hashes()) - h0) / ((performance.now() - t0) / 1000);
}

const NEVER = `${"ab".repeat(32)}/1/${"cd".repeat(8)}/00000001${"00".repeat(28)}`;

async function worker(datasetFile: string) {
  const w = spawn(["serve", "-b", "127.0.0.1:0", "--randomx-mode", "fast"], { K2POW_DATASET_FILE: datasetFile });
  await w.when(/listening on/);
  const ready = await w.when(/fast mode ready/);
  return { ...w, ready, base: `http://127.0.0.1:${w.port()}` };
}

try {
  console.error("cold start: no dataset file, so the worker builds the dataset and saves it");
  const cold = await worker(file);
  await cold.when(/dataset saved to/);
  const coldRss = cold.rssMiB();
  await cold.stop();

  const warmTimes: number[] = [];
  let warmRss = 0;
  for (let i = 0; i < WARM; i++) {
    const warm = await worker(file);
    if (!/dataset loaded from/.test(warm.log())) throw new Error(`the warm start did not load the file:\n${warm.log()}`);
    warmTimes.push(warm.ready);
    warmRss = warm.rssMiB();
    await warm.stop();
  }

  console.error("hash rate: a worker on a built dataset and one on a loaded dataset, in alternating windows");
  const built = await worker("none");
  const loaded = await worker(file);
  const rates = { built: [] as number[], loaded: [] as number[] };
  for (const w of [built, loaded]) await fetch(`${w.base}/job/${NEVER}`);
  // One searches while the other's job is cancelled, so each window has the cores to itself.
  const job = `/job/${NEVER}`;
  for (let i = 0; i < WINDOWS; i++) {
    for (const [name, w, other] of [["built", built, loaded], ["loaded", loaded, built]] as const) {
      await fetch(other.base + job, { method: "DELETE" });
      await fetch(w.base + job);
      await Bun.sleep(1000);
      rates[name].push(await hashRate(w.base, SECONDS));
    }
  }
  await Promise.all([built.stop(), loaded.stop()]);

  console.error("--bench with the dataset file there");
  const benchStart = performance.now();
  const bench = spawn(["--bench", "--json"]);
  await bench.proc.exited;
  running.delete(bench.proc);
  const benchSeconds = (performance.now() - benchStart) / 1000;
  const benchOut = JSON.parse(await new Response(bench.proc.stdout).text()) as { datasetSource: string; datasetSeconds: number };

  console.error("a pool restarted with an easy job queued, in each verifier mode");
  const pool = async (checkMode: string, datasetFile: string) => {
    const db = join(dir, `pool-${checkMode}-${datasetFile === "none" ? "none" : "file"}.db`);
    // About 16 expected hashes: under a second of one light-mode thread, so what is timed is the pool's readiness.
    const path = `/job/${"5a".repeat(32)}/3/${"01".repeat(8)}/0f${"ff".repeat(31)}`;
    const first = spawn(["pool", "-b", "127.0.0.1:0", "--db", db, "--check-mode", "light"]);
    await first.when(/listening on/);
    await fetch(`http://127.0.0.1:${first.port()}${path}`);
    await first.stop();
    const second = spawn(["pool", "-b", "127.0.0.1:0", "--db", db, "--check-mode", checkMode], { K2POW_DATASET_FILE: datasetFile });
    await second.when(/listening on/);
    const base = `http://127.0.0.1:${second.port()}`;
    const joined = spawn(["join", base, "--randomx-mode", "light", "--cores", "1"]);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await fetch(base + path);
      if (r.status === 200) break;
      if (r.status !== 201 || Date.now() > deadline) throw new Error(`the pool answered ${r.status}:\n${second.log()}`);
      await Bun.sleep(50);
    }
    const answered = second.elapsed();
    const mode = /checks: now in fast mode/.test(second.log()) ? "fast" : "light";
    await Promise.all([joined.stop(), second.stop()]);
    return { answered, mode };
  };
  const runs = async (datasetFile: string) => {
    const all = [];
    for (let i = 0; i < WARM; i++) all.push(await pool("auto", datasetFile));
    return { answered: median(all.map((r) => r.answered)), mode: all.map((r) => r.mode).join("/") };
  };
  const poolLight = await runs("none");
  const poolFast = await runs(file);

  console.log("\nk2pow dataset file, one run (medians)");
  console.log(`cold start to ready (build ${"+"} save after)   ${f1(cold.ready)} s`);
  console.log(`warm start to ready, ${WARM} runs              ${f1(median(warmTimes))} s  (${warmTimes.map(f1).join(", ")})  ratio warm/cold ${(median(warmTimes) / cold.ready).toFixed(3)}`);
  console.log(`hash rate built / loaded                ${f1(median(rates.built))} / ${f1(median(rates.loaded))} H/s  ratio loaded/built ${(median(rates.loaded) / median(rates.built)).toFixed(3)}`);
  console.log(`resident memory after build / load      ${coldRss.toFixed(0)} / ${warmRss.toFixed(0)} MiB (fast-mode budget: dataset 2080 + cache 256 + 2 per thread + runtime 150)`);
  console.log(`--bench, file there, end to end         ${f1(benchSeconds)} s (dataset ${benchOut.datasetSource} in ${f1(benchOut.datasetSeconds)} s)`);
  console.log(`pool restart, queued job answered       ${f1(poolLight.answered)} s, checks in ${poolLight.mode} mode (no file); ${f1(poolFast.answered)} s, checks in ${poolFast.mode} mode (file there)`);
  const goals: [string, boolean][] = [
    ["warm start <= 3 s", median(warmTimes) <= 3],
    ["--bench with the file <= 15 s", benchSeconds <= 15],
    ["hash rate after a load >= 0.98x after a build", median(rates.loaded) >= 0.98 * median(rates.built)],
    ["pool answers a queued easy job within 5 s, fast dataset building", poolLight.answered <= 5],
    ["pool answers a queued easy job within 5 s, fast dataset loading", poolFast.answered <= 5],
    ["resident memory after a load within the budget", warmRss <= 2080 + 256 + 2 * 3 + 150],
  ];
  for (const [goal, met] of goals) console.log(`${met ? "PASS" : "FAIL"} ${goal}`);
} finally {
  for (const p of running) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
