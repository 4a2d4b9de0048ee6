// The settings of a worker for a pool (`k2pow join POOL_URL`): the pool's token, how to show and trust, the engine
// and the log, each flag also read from its environment variable.
import { hostname } from "node:os";
import { Type } from "@sinclair/typebox";
import { poolSocketUrl } from "../pool/pool-member";
import { command, commandHelp, envName, field, readCommand, switchField, type Env } from "./config";
import { engineFields, engineOptions } from "./engine-flags";
import { LOG_FORMAT, LOG_LEVEL, WORKER_TOKEN } from "./service-flags";
import { CA_FIELD } from "./tls-flags";
import { UsageError } from "./usage";

export const JOIN = command({
  usage: "join POOL_URL",
  about: `Works for a k2pow pool: connects out to POOL_URL (http://HOST:PORT, as the pool's -b, or https://HOST:PORT
when the pool serves TLS), so the box needs no inbound port. The dataset is built once and kept while the pool
restarts or the network drops. Every option but --insecure can also be set by its environment variable.`,
  positionals: ["POOL_URL"],
  fields: {
    token: {
      ...WORKER_TOKEN,
      help: "the pool's worker token (required); better set as the variable, which other users of the box cannot see in the process list",
    },
    name: field({
      flag: "name",
      arg: "NAME",
      schema: Type.String({ pattern: "^[\\x21-\\x7e]{1,64}$" }),
      default: () => hostname().slice(0, 64),
      takes: "1 to 64 printable characters without spaces",
      help: "how the pool shows this worker; default the host name",
    }),
    ca: { ...CA_FIELD, help: "trust the CA certificate(s) in FILE (PEM) for an https:// pool, instead of the public CAs: for a pool whose certificate comes from your own CA" },
    // The one flag without a variable: clear text towards the internet is a choice made each time, not a setting.
    insecure: switchField({
      flag: "insecure",
      env: false,
      help: "allow an http:// pool that is neither on this machine nor on a private network, although the token then crosses the network in clear text",
    }),
    ...engineFields("auto"),
    logLevel: LOG_LEVEL,
    logFormat: LOG_FORMAT,
  },
});

export const joinHelp = commandHelp(JOIN);

export function joinConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(JOIN, argv, env);
  if (read === "help") return "help";
  const { mode, threads, pages, largePages, datasetFile, ...rest } = read.values;
  const poolUrl = read.positionals[0]!;
  let socketUrl: URL;
  try {
    socketUrl = new URL(poolSocketUrl(poolUrl));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (socketUrl.protocol === "ws:" && rest.ca !== undefined) throw new UsageError(`--ca (${envName("ca")}) is for an https:// pool; ${poolUrl} is not`);
  return { poolUrl, socketUrl, ...rest, engine: engineOptions({ mode, threads, pages, largePages, datasetFile }) };
}
