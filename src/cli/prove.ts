// k2pow prove MINER GROUP CHALLENGE DIFFICULTY: finds a valid nonce and prints it, alone, on stdout.
import { EngineError, SearchCancelled } from "../engine/engine-error";
import { expectedHashes } from "../engine/k2pow-rule";
import type { Engine } from "../engine/engine";
import { command, commandHelp, EXIT, readCommand, type CommandContext, type Env } from "./config";
import { engineFields, engineOptions, startEngine } from "./engine-options";
import { JOB_ARGS, jobFromArgs } from "./shared-flags";

const PROVE = command({
  usage: `prove ${JOB_ARGS.join(" ")}`,
  about: `Finds a nonce whose RandomX hash is below DIFFICULTY and prints it in decimal on stdout; progress goes to stderr.
MINER and DIFFICULTY are 32 bytes in hex, GROUP is 0-255, CHALLENGE is 8 bytes in hex (the order of the HTTP path).
Every option can also be set by its environment variable.`,
  positionals: JOB_ARGS,
  fields: engineFields("auto"),
  after: "Exit status: 0 found, 2 bad arguments, 3 could not run (the message says why), 130 interrupted.",
});

export function proveConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(PROVE, argv, env);
  if (read === "help") return "help";
  return { job: jobFromArgs(read.positionals), engine: engineOptions(read.values) };
}

/** Steady progress lines on stderr while the engine builds its dataset or searches, for people and for logs. */
function reportProgress(engine: Engine, expectedHashes: number, everyMs = 10_000): () => void {
  const timer = setInterval(() => {
    const s = engine.status();
    if (s.phase === "dataset" && s.dataset) {
      const pct = (100 * s.dataset.itemsBuilt) / s.dataset.items;
      console.error(`k2pow: building dataset: ${pct.toFixed(0)}%`);
    } else if (s.searching) {
      const rate = Number(s.searching.hashes) / Math.max(s.searching.seconds, 1e-9);
      console.error(
        `k2pow: searching: ${s.searching.hashes} hashes in ${s.searching.seconds.toFixed(0)} s, ` +
          `${rate.toFixed(1)} H/s (about ${Math.round(expectedHashes).toLocaleString("en-US")} expected)`,
      );
    }
  }, everyMs);
  return () => clearInterval(timer);
}

export async function prove(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const config = proveConfig(argv);
  if (config === "help") {
    console.log(commandHelp(PROVE));
    return EXIT.ok;
  }
  const say = (m: string) => console.error(`k2pow: ${m}`);
  const engine = startEngine(config.engine, workerUrl, { note: say, error: say });
  if (engine === null) return EXIT.failed;
  // Closing also stops a dataset build in progress, so an interrupt is prompt in every phase.
  const interrupt = () => void engine.close();
  process.on("SIGINT", interrupt).on("SIGTERM", interrupt);
  const stopProgress = reportProgress(engine, expectedHashes(config.job.difficulty));
  try {
    const result = await engine.search(config.job);
    process.stdout.write(`${result.nonce}\n`);
    const rate = Number(result.hashes) / Math.max(result.seconds, 1e-9);
    say(`found after ${result.hashes} hashes in ${result.seconds.toFixed(2)} s (${rate.toFixed(1)} H/s)`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof SearchCancelled) return 130;
    if (!(err instanceof EngineError)) throw err;
    say(err.message);
    return EXIT.failed;
  } finally {
    stopProgress();
    process.off("SIGINT", interrupt).off("SIGTERM", interrupt);
    await engine.close();
  }
}
