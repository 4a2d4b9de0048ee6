#!/usr/bin/env bun
// k2pow command line: one entry point, one subcommand per job a user has.
import pkg from "../package.json";
import { randomxVersion } from "./engine/native-paths";
import { prove } from "./cli/prove";
import { EXIT, UsageError } from "./cli/usage";
import { verify } from "./cli/verify";

const help = `k2pow ${pkg.version}: RandomX proof of work (k2pow) for Spacemesh post-service

Usage:
  k2pow prove MINER GROUP CHALLENGE DIFFICULTY [options]         find a valid nonce, print it on stdout
  k2pow verify MINER GROUP CHALLENGE DIFFICULTY NONCE [options]  check a nonce with one hash
  k2pow --version | --help
  k2pow COMMAND --help                                           options of a command`;

const commands: Record<string, (argv: string[]) => Promise<number>> = { prove, verify };

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h") {
    console.log(help);
    return EXIT.ok;
  }
  if (first === "--version" || first === "-V") {
    console.log(`k2pow ${pkg.version} (bun ${Bun.version}, librandomx ${randomxVersion()})`);
    return EXIT.ok;
  }
  const command = commands[first];
  if (command === undefined) throw new UsageError(`unknown command '${first}'; run 'k2pow --help' for the commands`);
  try {
    return await command(rest);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message}; run 'k2pow ${first} --help' for usage`);
    throw err;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`k2pow: ${err.message}`);
  process.exitCode = EXIT.usage;
}
