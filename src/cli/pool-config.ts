// The pool's settings: flags, each also read from its environment variable (K2POW_WORKER_TOKEN, …; the token is
// better there than on a command line that every user of the box can see).
import { Type } from "@sinclair/typebox";
import { command, commandHelp, field, readCommand, type Env } from "./config";
import { DATASET_FILE, datasetFileOption } from "./engine-flags";
import { LIMIT_FIELDS } from "./limit-flags";
import { AUTH, BIND_ADDRESS, LOG_FORMAT, LOG_LEVEL, PROGRESS_INTERVAL, WORKER_TOKEN } from "./service-flags";
import { TLS_FIELDS, tlsPair } from "./tls-flags";

/**
 * A proof asks for at most 256 nonce groups (post-service's --nonces is at most 4096, 16 nonces a group), so one
 * address can always queue a whole proof's groups, which post-services behind one address never do at once.
 */
const DEFAULT_QUEUE_PER_ADDRESS = 256;

const queueBound = (flag: string, fallback: number, help: string) =>
  field({
    flag,
    arg: "N",
    read: Number,
    schema: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    default: fallback,
    takes: "a whole number from 1 to 1000000",
    help,
  });

export const POOL = command({
  usage: "pool --worker-token TOKEN",
  about: `Queues post-services' k2pow jobs (same HTTP API as a worker) and splits each one across every worker that
connects with 'k2pow join'. Workers connect out to the pool, on the same port. Every option can also be set by
its environment variable.`,
  fields: {
    bindAddress: BIND_ADDRESS,
    workerToken: WORKER_TOKEN,
    db: field({
      flag: "db",
      arg: "PATH",
      schema: Type.String({ minLength: 1 }),
      default: "k2pow-pool.db",
      takes: "a file path or :memory:",
      help: "SQLite file for the queue and answers (:memory: keeps nothing); default k2pow-pool.db",
    }),
    queueSize: queueBound("queue-size", 1000, "jobs queued or running at most; past that a new job gets 429; default 1000"),
    queuePerAddress: queueBound(
      "queue-per-address",
      DEFAULT_QUEUE_PER_ADDRESS,
      `jobs one address (an IPv6 /64) may have queued; past that its new jobs get 429; default ${DEFAULT_QUEUE_PER_ADDRESS}, a whole proof's nonce groups`,
    ),
    ...LIMIT_FIELDS,
    auth: {
      ...AUTH,
      help: "require HTTP Basic auth on the job API, /status and /metrics; without it, DELETE /job/... is taken from this machine only",
    },
    logLevel: LOG_LEVEL,
    logFormat: LOG_FORMAT,
    progressSeconds: PROGRESS_INTERVAL,
    /** How the pool hashes to check workers' nonces and shares. */
    checkMode: field({
      flag: "check-mode",
      arg: "MODE",
      schema: Type.Union([Type.Literal("auto"), Type.Literal("fast"), Type.Literal("light")]),
      default: "auto",
      takes: "auto, fast or light",
      help:
        "how the pool hashes to check workers' nonces and shares: fast (2 GiB dataset, about 1-3 ms a check), " +
        "light (256 MiB, about 25 ms) or auto (fast when the memory is there); checks run in light mode until the " +
        "fast dataset is ready; default auto",
    }),
    datasetFile: DATASET_FILE,
    ...TLS_FIELDS,
  },
});

export const poolHelp = commandHelp(POOL);

export function poolConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(POOL, argv, env);
  if (read === "help") return "help";
  const { bindAddress, auth, tlsCert, tlsKey, datasetFile, ...rest } = read.values;
  return {
    ...bindAddress,
    ...rest,
    datasetFile: datasetFileOption(datasetFile),
    ...(auth === undefined ? {} : { auth }),
    ...tlsPair({ tlsCert, tlsKey }),
  };
}
