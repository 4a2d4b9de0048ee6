// A cold dataset build, side by side in one run: k2pow's engine with its default build (vector code), the engine
// with librandomx's own build, and, when given, XMRig's "dataset ready" on the same threads. Each build runs in a
// process of its own, so one 2 GiB dataset exists at a time; rounds alternate the three so a slow minute of the host
// falls on all of them. Prints every run, medians, and the ratios the goal is stated in.
//
//   npx bun bench/dataset-build.ts [--rounds 3] [--threads 2] [--pages auto] [--xmrig 'CMD ...']
//
// --xmrig is a command that starts XMRig's benchmark and prints its "dataset ready (N ms)" line, e.g. XMRig 6.22.2
// from a Debian trixie root: 'chroot /srv/trixie xmrig --bench=1M -t 2 --no-color'. It is stopped once that line is
// out. k2pow's time is from the engine's construction to "ready" (cache filled, dataset built, a VM per thread
// made and self-tested), so it includes more than XMRig's, which times the cache and the dataset only.
import { parseArgs } from "node:util";
import { Engine } from "../src/engine/engine";
import type { DatasetBuilder } from "../src/engine/dataset";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
    pages: { type: "string", default: "auto" },
    xmrig: { type: "string" },
    child: { type: "string" },
  },
});
const threads = Number(values.threads);

if (values.child !== undefined) {
  const started = performance.now();
  const engine = new Engine({ mode: "fast", threads, pages: values.pages as "auto", datasetBuilder: values.child as DatasetBuilder, datasetFile: null });
  await engine.ready;
  const seconds = (performance.now() - started) / 1000;
  const dataset = engine.status().dataset!;
  console.log(JSON.stringify({ seconds, buildSeconds: dataset.seconds, builtWith: dataset.builtWith, pages: engine.status().pages }));
  await engine.close();
  process.exit(0);
}

async function k2pow(builder: DatasetBuilder): Promise<{ seconds: number; note: string }> {
  const proc = Bun.spawn([process.execPath, import.meta.path, "--child", builder, "--threads", String(threads), "--pages", values.pages!], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`the ${builder} build failed:\n${out}`);
  const r = JSON.parse(out.trim().split("\n").pop()!);
  return { seconds: r.seconds, note: `${r.builtWith}, ${r.pages} pages, build alone ${r.buildSeconds.toFixed(1)} s` };
}

async function xmrig(command: string): Promise<{ seconds: number; note: string }> {
  const proc = Bun.spawn(["sh", "-c", `exec ${command}`], { stdout: "pipe", stderr: "pipe" });
  let log = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of proc.stdout) {
      log += decoder.decode(chunk);
      const ready = log.match(/dataset ready \((\d+) ms\)/);
      if (ready) {
        const pages = log.match(/huge pages\s+(\S+)/)?.[1] ?? "?";
        return { seconds: Number(ready[1]) / 1000, note: `XMRig's own figure, huge pages ${pages}` };
      }
    }
    throw new Error(`XMRig ended without "dataset ready":\n${log}${await new Response(proc.stderr).text()}`);
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

const runs: Record<string, number[]> = { "k2pow, vector build": [], "k2pow, librandomx build": [] };
if (values.xmrig) runs["XMRig"] = [];
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const name of Object.keys(runs)) {
    const r = name === "XMRig" ? await xmrig(values.xmrig!) : await k2pow(name.endsWith("vector build") ? "vectors" : "librandomx");
    runs[name]!.push(r.seconds);
    console.log(`round ${round}  ${name.padEnd(24)} ${r.seconds.toFixed(2).padStart(6)} s  (${r.note})`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log("\nmedians:");
for (const [name, xs] of Object.entries(runs)) console.log(`  ${name.padEnd(24)} ${median(xs).toFixed(2).padStart(6)} s`);
const vector = median(runs["k2pow, vector build"]!);
console.log(`\nlibrandomx build / vector build: ${(median(runs["k2pow, librandomx build"]!) / vector).toFixed(2)}×`);
if (runs["XMRig"]) {
  const ratio = vector / median(runs["XMRig"]);
  console.log(`vector build / XMRig: ${ratio.toFixed(2)}× (goal: at most 1.3×) ${ratio <= 1.3 ? "PASS" : "FAIL"}`);
}
