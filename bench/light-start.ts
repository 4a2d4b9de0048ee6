// What transparent huge pages on the light-mode cache are worth, in one run: `k2pow prove` in light mode on one
// thread, with the cache on plain pages (--pages plain) and on transparent huge pages (--pages thp), taken in turns
// so that both see the same machine. A start: a job whose nonce 0 is valid (one hash), for the process's CPU time
// (filling the 256 MiB cache writes every page once) and its wall time to "light mode ready"; then the light hash
// rate over a job of about 150 hashes.
//
//   npx bun bench/light-start.ts [--rounds 5]
//
// Needs /sys/kernel/mm/transparent_hugepage/enabled at madvise or always; everything stops by itself.
import { parseArgs } from "node:util";
import { thpOn, thpSetting } from "../src/engine/resources";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const ROUNDS = Number(values.rounds);
const main = new URL("../src/main.ts", import.meta.url).pathname;
const JOB = ["11".repeat(32), "0", "2222222222222222"];
/** Every hash is below it: nonce 0 answers, so the run is the start and one hash. */
const AT_ONCE = "ff".repeat(32);
/** About 150 hashes to the first valid nonce of JOB: a few seconds of one light thread, long enough for a rate. */
const RATE = "00ff" + "ff".repeat(30);

if (!thpOn()) throw new Error(`transparent huge pages are ${thpSetting()} here: nothing to compare`);

interface Run {
  cpuSeconds: number;
  readySeconds: number;
  hashRate: number;
}

async function prove(pages: "plain" | "thp", difficulty: string): Promise<Run> {
  const started = performance.now();
  let readySeconds = NaN;
  const proc = Bun.spawn([process.execPath, main, "prove", ...JOB, difficulty, "--randomx-mode", "light", "--cores", "1", "--pages", pages], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_DATASET_FILE: "none" },
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stderr) {
    log += decoder.decode(chunk);
    if (Number.isNaN(readySeconds) && log.includes("light mode ready")) readySeconds = (performance.now() - started) / 1000;
  }
  if ((await proc.exited) !== 0) throw new Error(`k2pow prove --pages ${pages} failed:\n${log}`);
  if (!log.includes(`light mode ready: 1 thread, ${pages} pages`)) throw new Error(`k2pow prove did not use ${pages} pages:\n${log}`);
  const rate = log.match(/\(([\d.]+) H\/s\)/);
  if (rate === null) throw new Error(`no hash rate in the output of k2pow prove:\n${log}`);
  const usage = proc.resourceUsage()!;
  const cpuSeconds = Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6;
  return { cpuSeconds, readySeconds, hashRate: Number(rate[1]) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const starts: Record<"plain" | "thp", Run[]> = { plain: [], thp: [] };
const rates: Record<"plain" | "thp", Run[]> = { plain: [], thp: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const pages of round % 2 === 0 ? (["plain", "thp"] as const) : (["thp", "plain"] as const)) {
    starts[pages].push(await prove(pages, AT_ONCE));
    rates[pages].push(await prove(pages, RATE));
  }
}
const row = (pages: "plain" | "thp") => {
  const m = {
    cpu: median(starts[pages].map((x) => x.cpuSeconds)),
    ready: median(starts[pages].map((x) => x.readySeconds)),
    rate: median(rates[pages].map((x) => x.hashRate)),
  };
  console.log(`${pages.padEnd(5)}  a start: ${m.cpu.toFixed(2)} s of CPU, ready after ${m.ready.toFixed(2)} s; ${m.rate.toFixed(1)} H/s (medians of ${ROUNDS})`);
  return m;
};
const plain = row("plain");
const thp = row("thp");
console.log(`thp / plain: CPU per start ×${(thp.cpu / plain.cpu).toFixed(2)}, time to ready ×${(thp.ready / plain.ready).toFixed(2)}, hash rate ×${(thp.rate / plain.rate).toFixed(2)}`);
