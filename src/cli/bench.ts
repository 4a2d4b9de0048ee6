// k2pow --bench: what a buyer of a rented box wants to know, in under a minute: the CPU, the page size obtained, the
// dataset build time, hashes per second per thread count, and how long a job of N space units would take.
import { availableParallelism, cpus } from "node:os";
import { readFileSync } from "node:fs";
import { Type } from "@sinclair/typebox";
import { threadsFromCaches } from "../engine/cache-threads";
import { EngineError } from "../engine/engine-error";
import { measureHashRate } from "../engine/measure";
import { expectedHashes, postServiceDifficulty } from "../engine/k2pow-rule";
import { availableMemory, mib } from "../engine/resources";
import { TARGET, VERSION } from "../version";
import { randomxVersion } from "../engine/native-paths";
import { command, commandHelp, EXIT, field, readCommand, switchField, withDefault, type CommandContext, type Env } from "./config";
import { engineFields, engineOptions, startEngine } from "./engine-options";
import { UNITS } from "./shared-flags";

const BENCH = command({
  usage: "--bench",
  about: `Measures this box in under a minute: CPU, RandomX mode and page size, dataset build time, hashes per second for
1, 2, 4, ... threads and for the chosen count and its neighbours (which is fastest), and how long one nonce group of
an identity of N space units takes.
Every option can also be set by its environment variable.`,
  fields: {
    ...engineFields("auto"),
    units: { ...withDefault(UNITS, 1000), help: "space units of the identity to estimate for; default 1000" },
    seconds: field({
      flag: "seconds",
      arg: "S",
      read: Number,
      schema: Type.Number({ exclusiveMinimum: 0, maximum: 600 }),
      default: 5,
      takes: "a number from 0 to 600",
      help: "seconds of hashing per thread count; default 5",
    }),
    json: switchField({ flag: "json", help: "print one JSON object on stdout instead of a report" }),
  },
});

export function benchConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(BENCH, argv, env);
  if (read === "help") return "help";
  const { units, seconds, json, ...engine } = read.values;
  return { units, seconds, json, engine: engineOptions(engine) };
}

interface Measurement {
  threads: number;
  hashesPerSecond: number;
}

function cpuModel(): { model: string; flags: string[] } {
  if (process.platform === "win32") return { model: windowsCpuModel(), flags: [] };
  const info = readFileSync("/proc/cpuinfo", "utf8");
  const model = info.match(/^(?:model name|Model)\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown CPU";
  const flags = info.match(/^(?:flags|Features)\s*:\s*(.+)$/m)?.[1]?.split(/\s+/) ?? [];
  return { model, flags: ["aes", "avx2", "ssse3", "pmull", "sha2"].filter((f) => flags.includes(f)) };
}

/**
 * Windows has no /proc/cpuinfo: the model as Windows names it to Node, else (where that fails, as under wine) the
 * family and model Windows puts in PROCESSOR_IDENTIFIER. The instruction sets are not told either way.
 */
function windowsCpuModel(): string {
  try {
    const model = cpus()[0]?.model.trim();
    if (model) return model;
  } catch {
    // Below.
  }
  return process.env.PROCESSOR_IDENTIFIER?.trim() || "unknown CPU";
}

/** 1, 2, 4, ... below the chosen count, then the chosen count and its neighbours, up to `max`. */
export function threadCounts(chosen: number, max: number): number[] {
  const counts = new Set<number>();
  for (let n = 1; n < chosen - 1; n *= 2) counts.add(n);
  for (const n of [chosen - 1, chosen, chosen + 1]) if (n >= 1 && n <= max) counts.add(n);
  return [...counts].sort((a, b) => a - b);
}

/** The thread count a worker with these options would run, and why; and the most threads worth measuring beside it. */
function chosenThreads(configured: number): { chosen: number; reason: string; max: number } {
  const cpus = availableParallelism();
  if (configured > 0) return { chosen: configured, reason: `${configured} thread(s), as configured`, max: Math.max(configured, Math.min(configured + 1, cpus)) };
  const { threads, reason } = threadsFromCaches("/", cpus);
  return { chosen: threads, reason, max: Math.min(threads + 1, cpus) };
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "forever";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${(hours / 24).toFixed(1)} days`;
}

/** A line that redraws itself on a terminal and prints plainly (a line per step) anywhere else. */
function progress(tty: boolean) {
  let last = "";
  return {
    show(text: string, fraction?: number) {
      if (!tty) {
        if (text !== last) console.error(`k2pow: ${text}`);
        last = text;
        return;
      }
      const bar = fraction === undefined ? "" : `[${"#".repeat(Math.round(fraction * 30)).padEnd(30)}] `;
      process.stderr.write(`\r\x1b[2K${bar}${text}`);
    },
    done() {
      if (tty) process.stderr.write("\r\x1b[2K");
    },
  };
}

export async function bench(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const config = benchConfig(argv);
  if (config === "help") {
    console.log(commandHelp(BENCH));
    return EXIT.ok;
  }
  const { units, seconds, json } = config;
  const cpu = cpuModel();
  const show = progress(!json && process.stderr.isTTY === true);
  const notes: string[] = [];
  const { chosen, reason, max } = chosenThreads(config.engine.threads ?? 0);
  // One more thread than chosen (where the CPUs allow), so the count above it is measured too.
  const engine = startEngine({ ...config.engine, threads: max }, workerUrl, { note: (m) => notes.push(m), error: (m) => console.error(`k2pow: ${m}`) });
  if (engine === null) return EXIT.failed;
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
    void engine.close();
  };
  process.on("SIGINT", interrupt);
  try {
    const building = setInterval(() => {
      const d = engine.status().dataset;
      if (d && d.items > 0 && d.seconds === null) show.show(d.loading ? "loading the dataset from its file" : "building the dataset", d.itemsBuilt / d.items);
    }, 200);
    show.show("starting the engine");
    await engine.ready.finally(() => clearInterval(building));
    const status = engine.status();

    const measured: Measurement[] = [];
    for (const threads of threadCounts(chosen, max)) {
      const rate = await measureHashRate(engine, { threads, seconds, onTick: (f) => show.show(`hashing on ${threads} thread(s)`, f) });
      measured.push({ threads, hashesPerSecond: rate });
    }
    show.done();

    const best = measured.find((m) => m.threads === chosen)!;
    const fastest = measured.reduce((a, b) => (b.hashesPerSecond > a.hashesPerSecond ? b : a));
    const jobHashes = expectedHashes(postServiceDifficulty(units));
    const jobSeconds = jobHashes / best.hashesPerSecond;
    const result = {
      version: VERSION,
      target: TARGET,
      librandomx: randomxVersion(),
      cpu: cpu.model,
      cpuFlags: cpu.flags,
      cores: availableParallelism(),
      availableMemoryBytes: availableMemory(),
      mode: status.mode,
      pageMode: status.pages,
      hugePageBytes: status.hugePageBytes,
      datasetSource: status.dataset?.source ?? null,
      /** What built it, when it was built: "AVX-512", "AVX2" or "librandomx". */
      datasetBuiltWith: status.dataset?.builtWith ?? null,
      datasetFile: status.dataset?.file?.path ?? null,
      /** Seconds to have the dataset ready, built or loaded (datasetSource says which). */
      datasetSeconds: status.dataset?.seconds ?? null,
      datasetBuildSeconds: status.dataset?.source === "built" ? status.dataset.seconds : null,
      threads: best.threads,
      threadsReason: reason,
      hashesPerSecond: best.hashesPerSecond,
      fastestThreads: fastest.threads,
      byThreads: measured,
      units,
      jobExpectedHashes: Math.round(jobHashes),
      jobExpectedSeconds: jobSeconds,
    };
    if (status.dataset?.file?.save === "saving") {
      // A box is benchmarked to be used: the next start (or --bench) should find the dataset ready.
      show.show("saving the dataset for the next start");
      await engine.datasetSaved();
      show.done();
    }
    if (json) {
      console.log(JSON.stringify(result));
      return EXIT.ok;
    }
    const row = (name: string, value: string) => console.log(`${name.padEnd(12)} ${value}`);
    console.log(`k2pow ${VERSION} benchmark (${TARGET}, librandomx ${result.librandomx})`);
    row("CPU", `${cpu.model}, ${result.cores} cores${cpu.flags.length ? ` (${cpu.flags.join(", ")})` : ""}`);
    row("memory", `${mib(result.availableMemoryBytes)} available`);
    const huge = status.hugePageBytes ? `, ${mib(status.hugePageBytes)} in huge pages` : "";
    row("mode", `${status.mode}, ${status.pages} pages${huge}`);
    const dataset = status.dataset;
    if (dataset?.source === "loaded") {
      row("dataset", `loaded from ${dataset.file!.path} in ${dataset.seconds!.toFixed(1)} s (built at an earlier start; --dataset-file none builds it anew)`);
    } else if (dataset) {
      const saved = dataset.file ? `; saving it to ${dataset.file.path} for the next start` : "";
      row("dataset", `built with ${dataset.builtWith} in ${dataset.seconds!.toFixed(1)} s on ${engine.threads} thread(s)${saved}`);
    }
    row("threads", reason);
    for (const m of measured) {
      const mark = [m.threads === chosen ? "chosen" : "", m === fastest ? "fastest" : ""].filter(Boolean).join(", ");
      row(m === measured[0] ? "hash rate" : "", `${String(m.threads).padStart(3)} thread(s): ${m.hashesPerSecond.toFixed(1).padStart(9)} H/s${mark ? `  (${mark})` : ""}`);
    }
    // Within the ±3% one run's figures wander by, the chosen count stands.
    if (fastest !== best && fastest.hashesPerSecond > best.hashesPerSecond * 1.03) {
      row("advice", `${fastest.threads} threads were fastest here: try --cores ${fastest.threads}`);
    }
    row(
      "a job",
      `one nonce group of ${units.toLocaleString("en-US")} SU: about ${Math.round(jobHashes).toLocaleString("en-US")} hashes, ` +
        `${duration(jobSeconds)} at ${best.hashesPerSecond.toFixed(0)} H/s`,
    );
    for (const note of notes.filter((n) => /not using|using light mode|dataset file|dataset not saved|ERROR/.test(n))) row("note", note);
    return EXIT.ok;
  } catch (err) {
    show.done();
    if (interrupted) return 130;
    if (!(err instanceof EngineError)) throw err;
    console.error(`k2pow: ${err.message}`);
    return EXIT.failed;
  } finally {
    process.off("SIGINT", interrupt);
    await engine.close();
  }
}
