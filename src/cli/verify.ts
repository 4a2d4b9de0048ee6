// k2pow verify MINER GROUP CHALLENGE DIFFICULTY NONCE: one hash; exit 0 when the nonce is valid, 1 when not.
import { Engine } from "../engine/engine";
import { EngineError } from "../engine/engine-error";
import { HASH_SIZE, hashInput, meetsDifficulty, NONCE_LIMIT } from "../engine/k2pow-rule";
import { engineFlagOptions, engineFlagsHelp, engineOptions } from "./engine-flags";
import { JOB_ARGS, jobFromArgs } from "./job-args";
import type { CommandContext } from "./context";
import { EXIT, parseCommandLine, UsageError } from "./usage";

const ARGS = [...JOB_ARGS, "NONCE"] as const;

const verifyHelp = `Usage: k2pow verify ${ARGS.join(" ")} [options]

Checks one nonce with a single RandomX hash. Prints "valid" or "invalid" and the hash on stdout.

${engineFlagsHelp("light")}

Exit status: 0 valid, 1 invalid, 2 bad arguments, 3 could not run.`;

export async function verify(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { ...engineFlagOptions, help: { type: "boolean" } }, ARGS);
  if (values.help) {
    console.log(verifyHelp);
    return EXIT.ok;
  }
  const job = jobFromArgs(positionals);
  const nonceText = positionals[4]!;
  if (!/^[0-9]{1,17}$/.test(nonceText) || BigInt(nonceText) >= NONCE_LIMIT) {
    throw new UsageError(`NONCE must be a decimal number below 2^56 (72057594037927936), got '${nonceText}'`);
  }
  const nonce = BigInt(nonceText);
  // One hash needs one VM: a single thread, and light mode unless asked otherwise.
  const options = { ...engineOptions(values, "light"), threads: 1 };

  let engine: Engine | null = null;
  try {
    engine = new Engine({ ...options, workerUrl, onNote: () => {} });
    await engine.ready;
    const hash = engine.hash(hashInput(job, nonce));
    const valid = meetsDifficulty(hash, job.difficulty);
    console.log(`${valid ? "valid" : "invalid"} ${Buffer.from(hash.subarray(0, HASH_SIZE)).toString("hex")}`);
    return valid ? EXIT.ok : EXIT.no;
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    console.error(`k2pow: ${err.message}`);
    return EXIT.failed;
  } finally {
    await engine?.close();
  }
}
