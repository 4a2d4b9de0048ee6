// k2pow verify MINER GROUP CHALLENGE DIFFICULTY NONCE: one hash; exit 0 when the nonce is valid, 1 when not.
import { parseNonce, toHex } from "../bytes/hex";
import { EngineError } from "../engine/engine-error";
import { Hasher } from "../engine/hasher";
import { hashInput, meetsDifficulty } from "../engine/k2pow-rule";
import { command, commandHelp, EXIT, readCommand, UsageError, type Env } from "./config";
import { JOB_ARGS, jobFromArgs } from "./shared-flags";

const VERIFY = command({
  usage: `verify ${JOB_ARGS.join(" ")} NONCE`,
  about: `Checks one nonce with a single RandomX hash. Prints "valid" or "invalid" and the hash on stdout.
The hash is the same in every mode, so it is always made in light mode (256 MiB, about a second to start).`,
  positionals: [...JOB_ARGS, "NONCE"],
  fields: {},
  after: "Exit status: 0 valid, 1 invalid, 2 bad arguments, 3 could not run.",
});

export function verifyConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(VERIFY, argv, env);
  if (read === "help") return "help";
  const job = jobFromArgs(read.positionals);
  const nonceText = read.positionals[4]!;
  const nonce = parseNonce(nonceText);
  if (nonce === null) throw new UsageError(`NONCE must be a decimal number below 2^56 (72057594037927936), got '${nonceText}'`);
  return { job, nonce };
}

export async function verify(argv: string[]): Promise<number> {
  const config = verifyConfig(argv);
  if (config === "help") {
    console.log(commandHelp(VERIFY));
    return EXIT.ok;
  }
  const { job, nonce } = config;

  let hasher: Hasher | null = null;
  try {
    hasher = Hasher.light();
    const hash = hasher.hash(hashInput(job, nonce));
    const valid = meetsDifficulty(hash, job.difficulty);
    console.log(`${valid ? "valid" : "invalid"} ${toHex(hash)}`);
    return valid ? EXIT.ok : EXIT.no;
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    console.error(`k2pow: ${err.message}`);
    return EXIT.failed;
  } finally {
    hasher?.close();
  }
}
