// k2pow prove MINER GROUP CHALLENGE DIFFICULTY: finds a valid nonce and prints it, alone, on stdout.
import { EngineError, SearchCancelled } from "../engine/engine-error";
import { expectedHashes } from "../engine/k2pow-rule";
import { command, commandHelp, readCommand, type Env } from "./config";
import { engineFields, engineOptions } from "./engine-flags";
import { JOB_ARGS, jobFromArgs } from "./job-args";
import { reportProgress } from "./progress";
import type { CommandContext } from "./context";
import { startEngine } from "./start-engine";
import { EXIT } from "./usage";

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
