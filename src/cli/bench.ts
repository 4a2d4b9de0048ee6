// k2pow --bench: what a buyer of a rented box wants to know, in under a minute: the CPU, the page size obtained, the
// dataset build time, hashes per second per thread count, and how long a job of N space units would take.
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { Engine } from "../engine/engine";
import { EngineError } from "../engine/engine-error";
import { measureHashRate } from "../engine/measure";
import { expectedHashes, postServiceDifficulty } from "../engine/k2pow-rule";
import { availableMemory, mib } from "../engine/resources";
import { TARGET, VERSION } from "../version";
import { randomxVersion } from "../engine/native-paths";
import type { CommandContext } from "./context";
import { engineFlagOptions, engineFlagsHelp, engineOptions } from "./engine-flags";
import { EXIT, parseCommandLine, UsageError } from "./usage";

const benchHelp = `Usage: k2pow --bench [options]

Measures this box in under a minute: CPU, RandomX mode and page size, dataset build time, hashes per second for
1, 2, 4, ... up to the chosen thread count, and how long one nonce group of an identity of N space units takes.

${engineFlagsHelp("auto")}
  --units N              space units of the identity to estimate for (default 1000)
  --seconds S            seconds of hashing per thread count (default 5)
  --json                 print one JSON object on stdout instead of a report`;

interface Measurement {
  threads: number;
  hashesPerSecond: number;
}

function cpuModel(): { model: string; flags: string[] } {
  const info = readFileSync("/proc/cpuinfo", "utf8");
  const model = info.match(/^(?:model name|Model)\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown CPU";
  const flags = info.match(/^(?:flags|Features)\s*:\s*(.+)$/m)?.[1]?.split(/\s+/) ?? [];
  return { model, flags: ["aes", "avx2", "ssse3", "pmull", "sha2"].filter((f) => flags.includes(f)) };
}

/** 1, 2, 4, ... and the chosen count itself. */
function threadCounts(max: number): number[] {
  const counts: number[] = [];
  for (let n = 1; n < max; n *= 2) counts.push(n);
  return [...counts, max];
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
  const options = {
    ...engineFlagOptions,
    units: { type: "string" },
    seconds: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  } as const;
  const { values } = parseCommandLine(argv, options, []);
  if (values.help) {
    console.log(benchHelp);
    return EXIT.ok;
  }
  const units = Number(values.units ?? "1000");
  if (!Number.isInteger(units) || units < 1) throw new UsageError(`--units must be a whole number of space units, got '${values.units}'`);
  const seconds = Number(values.seconds ?? "5");
  if (!(seconds > 0 && seconds <= 600)) throw new UsageError(`--seconds must be a number from 0 to 600, got '${values.seconds}'`);
  const engineOpts = engineOptions(values, "auto");

  const cpu = cpuModel();
  const show = progress(!values.json && process.stderr.isTTY === true);
  const notes: string[] = [];
  let engine: Engine | null = null;
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
    void engine?.close();
  };
  process.on("SIGINT", interrupt);
  try {
    engine = new Engine({ ...engineOpts, workerUrl, onNote: (m) => notes.push(m) });
    const building = setInterval(() => {
      const d = engine!.status().dataset;
      if (d && d.items > 0 && d.seconds === null) show.show(`building the dataset`, d.itemsBuilt / d.items);
    }, 200);
    show.show("starting the engine");
    await engine.ready.finally(() => clearInterval(building));
    const status = engine.status();

    const measured: Measurement[] = [];
    for (const threads of threadCounts(engine.threads)) {
      const rate = await measureHashRate(engine, { threads, seconds, onTick: (f) => show.show(`hashing on ${threads} thread(s)`, f) });
      measured.push({ threads, hashesPerSecond: rate });
    }
    show.done();

    const best = measured.at(-1)!;
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
      datasetBuildSeconds: status.dataset?.seconds ?? null,
      threads: best.threads,
      hashesPerSecond: best.hashesPerSecond,
      byThreads: measured,
      units,
      jobExpectedHashes: Math.round(jobHashes),
      jobExpectedSeconds: jobSeconds,
    };
    if (values.json) {
      console.log(JSON.stringify(result));
      return EXIT.ok;
    }
    const row = (name: string, value: string) => console.log(`${name.padEnd(12)} ${value}`);
    console.log(`k2pow ${VERSION} benchmark (${TARGET}, librandomx ${result.librandomx})`);
    row("CPU", `${cpu.model}, ${result.cores} cores${cpu.flags.length ? ` (${cpu.flags.join(", ")})` : ""}`);
    row("memory", `${mib(result.availableMemoryBytes)} available`);
    const huge = status.hugePageBytes ? `, ${mib(status.hugePageBytes)} in huge pages` : "";
    row("mode", `${status.mode}, ${status.pages} pages${huge}`);
    if (status.dataset) row("dataset", `built in ${status.dataset.seconds!.toFixed(1)} s on ${engine.threads} thread(s)`);
    for (const m of measured) {
      row(m === measured[0] ? "hash rate" : "", `${String(m.threads).padStart(3)} thread(s): ${m.hashesPerSecond.toFixed(1).padStart(9)} H/s`);
    }
    row(
      "a job",
      `one nonce group of ${units.toLocaleString("en-US")} SU: about ${Math.round(jobHashes).toLocaleString("en-US")} hashes, ` +
        `${duration(jobSeconds)} at ${best.hashesPerSecond.toFixed(0)} H/s`,
    );
    for (const note of notes.filter((n) => n.includes("not using") || n.includes("using light mode"))) row("note", note);
    return EXIT.ok;
  } catch (err) {
    show.done();
    if (interrupted) return 130;
    if (!(err instanceof EngineError)) throw err;
    console.error(`k2pow: ${err.message}`);
    return EXIT.failed;
  } finally {
    process.off("SIGINT", interrupt);
    await engine?.close();
  }
}
