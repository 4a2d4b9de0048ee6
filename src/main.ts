#!/usr/bin/env bun
// k2pow command line: one entry point, one subcommand per job a user has.
import { bench } from "./cli/bench";
import { health } from "./cli/health";
import { EXIT, optionsHelp, UsageError, type CommandContext } from "./cli/config";
import { join } from "./cli/join";
import { pool } from "./cli/pool";
import { probe } from "./cli/probe";
import { prove } from "./cli/prove";
import { SERVE, serve } from "./cli/serve";
import { verify } from "./cli/verify";
import { VERSION, versionLine } from "./version";

const help = `k2pow ${VERSION}: RandomX proof of work (k2pow) for Spacemesh post-service

Usage:
  k2pow [serve] [options]                                        the worker: post-service's HTTP API
  k2pow prove MINER GROUP CHALLENGE DIFFICULTY [options]         find a valid nonce, print it on stdout
  k2pow verify MINER GROUP CHALLENGE DIFFICULTY NONCE [options]  check a nonce with one hash
  k2pow pool --worker-token TOKEN [options]                      a pool: queues jobs, splits each across its workers
  k2pow join POOL_URL --worker-token TOKEN [options]             work for a pool (connects out; no inbound port)
  k2pow probe URL [options]                                      check a worker, load balancer or pool end to end
  k2pow health [options]                                         exit 0 when the server on this box answers GET /
  k2pow --bench [options]                                        measure this box in under a minute
  k2pow --version | --help
  k2pow COMMAND --help                                           options of a command

${optionsHelp(SERVE.fields)}

${SERVE.after}`;

type Command = (argv: string[], context: CommandContext) => Promise<number>;
const commands: Record<string, Command> = { serve, prove, verify, pool, join, probe, health, bench, "--bench": bench };
const context: CommandContext = { workerUrl: new URL("./engine/search-worker.ts", import.meta.url) };

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--help" || first === "-h") {
    console.log(help);
    return EXIT.ok;
  }
  if (first === "--version" || first === "-V") {
    console.log(versionLine());
    return EXIT.ok;
  }
  // No command, or options only: the worker, as upstream's binary does.
  if (first === undefined || (first.startsWith("-") && !(first in commands))) return run("serve", serve, argv);
  const command = commands[first];
  if (command === undefined) throw new UsageError(`unknown command '${first}'; run 'k2pow --help' for the commands`);
  return run(first, command, rest);
}

async function run(name: string, command: Command, argv: string[]): Promise<number> {
  try {
    return await command(argv, context);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message}; run 'k2pow ${name} --help' for usage`);
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
