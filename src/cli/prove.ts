// k2pow prove MINER GROUP CHALLENGE DIFFICULTY: finds a valid nonce and prints it, alone, on stdout.
import { Engine } from "../engine/engine";
import { EngineError, SearchCancelled } from "../engine/engine-error";
import { expectedHashes } from "../engine/k2pow-rule";
import { engineFlagOptions, engineFlagsHelp, engineOptions } from "./engine-flags";
import { JOB_ARGS, jobFromArgs } from "./job-args";
import { reportProgress } from "./progress";
import type { CommandContext } from "./context";
import { EXIT, parseCommandLine } from "./usage";

const proveHelp = `Usage: k2pow prove ${JOB_ARGS.join(" ")} [options]

Finds a nonce whose RandomX hash is below DIFFICULTY and prints it in decimal on stdout; progress goes to stderr.
MINER and DIFFICULTY are 32 bytes in hex, GROUP is 0-255, CHALLENGE is 8 bytes in hex (the order of the HTTP path).

${engineFlagsHelp("auto")}

Exit status: 0 found, 2 bad arguments, 3 could not run (the message says why), 130 interrupted.`;

export async function prove(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { ...engineFlagOptions, help: { type: "boolean" } }, JOB_ARGS);
  if (values.help) {
    console.log(proveHelp);
    return EXIT.ok;
  }
  const job = jobFromArgs(positionals);
  const options = engineOptions(values, "auto");

  let engine: Engine | null = null;
  let stopProgress = () => {};
  // Closing also stops a dataset build in progress, so an interrupt is prompt in every phase.
  const interrupt = () => void engine?.close();
  process.on("SIGINT", interrupt).on("SIGTERM", interrupt);
  try {
    engine = new Engine({ ...options, workerUrl, onNote: (m) => console.error(`k2pow: ${m}`) });
    stopProgress = reportProgress(engine, expectedHashes(job.difficulty));
    const result = await engine.search(job);
    process.stdout.write(`${result.nonce}\n`);
    const rate = Number(result.hashes) / Math.max(result.seconds, 1e-9);
    console.error(`k2pow: found after ${result.hashes} hashes in ${result.seconds.toFixed(2)} s (${rate.toFixed(1)} H/s)`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof SearchCancelled) return 130;
    if (err instanceof EngineError) {
      console.error(`k2pow: ${err.message}`);
      return EXIT.failed;
    }
    throw err;
  } finally {
    stopProgress();
    process.off("SIGINT", interrupt).off("SIGTERM", interrupt);
    await engine?.close();
  }
}
