// The worker's settings: upstream's flag names and defaults (SPEC §3), each also read from its environment variable
// (K2POW_BIND_ADDRESS, …).
import { Type } from "@sinclair/typebox";
import { command, commandHelp, field, readCommand, type Env } from "./config";
import { engineFields, engineOptions } from "./engine-flags";
import { LIMIT_FIELDS } from "./limit-flags";
import { AUTH, BIND_ADDRESS, LOG_FORMAT, LOG_LEVEL, PROGRESS_INTERVAL } from "./service-flags";
import { TLS_FIELDS, tlsPair } from "./tls-flags";

const BUSY_STATUS = field({
  flag: "busy-status",
  arg: "429|503",
  read: Number,
  schema: Type.Union([Type.Literal(429), Type.Literal(503)]),
  default: 429,
  takes: "429 or 503",
  help:
    'the status for "busy with another job"; 503 only behind a load balancer that retries it and turns what is left ' +
    "into 429 (HAProxy 2.6, see examples/haproxy); post-service fails a proof on a 503; default 429",
});

export const SERVE = command({
  usage: "[serve]",
  about: "Serves post-service's k2pow API over HTTP. Every option can also be set by its environment variable.",
  fields: {
    bindAddress: BIND_ADDRESS,
    ...engineFields("auto"),
    auth: AUTH,
    logLevel: LOG_LEVEL,
    logFormat: LOG_FORMAT,
    progressSeconds: PROGRESS_INTERVAL,
    busyStatus: BUSY_STATUS,
    ...LIMIT_FIELDS,
    ...TLS_FIELDS,
  },
  after: `A job can be cancelled (or its answer forgotten) with DELETE /job/...: with --auth, by anyone who has it;
without, only from this machine.`,
});

export const serveHelp = commandHelp(SERVE);

export function serveConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(SERVE, argv, env);
  if (read === "help") return "help";
  const { bindAddress, mode, threads, pages, largePages, datasetFile, auth, tlsCert, tlsKey, ...rest } = read.values;
  return {
    ...bindAddress,
    ...rest,
    ...(auth === undefined ? {} : { auth }),
    ...tlsPair({ tlsCert, tlsKey }),
    engine: engineOptions({ mode, threads, pages, largePages, datasetFile }),
  };
}
