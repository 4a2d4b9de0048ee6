// The pool's settings: flags, each also read from its environment variable (K2POW_WORKER_TOKEN, …; the token is
// better there than on a command line that every user of the box can see), checked against one TypeBox schema.
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { LOG_LEVELS } from "./log";
import { envName, parseBindAddress } from "./serve-config";
import { TLS_FIELDS, TlsConfigFields, tlsFlagOptions, tlsFlagsHelp, tlsPair } from "./tls-flags";
import { parseCommandLine, UsageError } from "./usage";

export const PoolConfig = Type.Object({
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  workerToken: Type.String({ minLength: 16, maxLength: 512 }),
  db: Type.String({ minLength: 1 }),
  queueSize: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  jobTimeoutSeconds: Type.Number({ minimum: 0, maximum: 30 * 86_400 }),
  auth: Type.Optional(Type.String({ pattern: "^[^:]+:.+$" })),
  logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))),
  logFormat: Type.Union([Type.Literal("text"), Type.Literal("json")]),
  progressSeconds: Type.Number({ minimum: 0.1, maximum: 86_400 }),
  /** How the pool hashes to check workers' nonces and shares. */
  checkMode: Type.Union([Type.Literal("auto"), Type.Literal("fast"), Type.Literal("light")]),
  ...TlsConfigFields,
});
export type PoolConfig = Static<typeof PoolConfig>;

const poolFlagOptions = {
  "bind-address": { type: "string", short: "b" },
  "worker-token": { type: "string" },
  db: { type: "string" },
  "queue-size": { type: "string" },
  "job-timeout": { type: "string" },
  auth: { type: "string" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  "progress-interval": { type: "string" },
  "check-mode": { type: "string" },
  ...tlsFlagOptions,
  help: { type: "boolean", short: "h" },
} as const;

type FlagName = Exclude<keyof typeof poolFlagOptions, "help">;

/** A day's proving window is 12 hours (the cycle gap); a job still running after that has missed it. */
const DEFAULT_JOB_TIMEOUT = 43_200;

export const poolHelp = `Usage: k2pow pool --worker-token TOKEN [options]

Queues post-services' k2pow jobs (same HTTP API as a worker) and splits each one across every worker that
connects with 'k2pow join'. Workers connect out to the pool, on the same port. Every option can also be set by
its environment variable.

  -b, --bind-address ADDR  host:port to listen on; default 0.0.0.0:3000                        K2POW_BIND_ADDRESS
  --worker-token TOKEN     the secret workers must present; 16 characters or more (required)   K2POW_WORKER_TOKEN
  --db PATH                SQLite file for the queue and answers (:memory: keeps nothing);
                           default k2pow-pool.db                                                 K2POW_DB
  --queue-size N           jobs queued or running at most; past that a new job gets 429;
                           default 1000                                                          K2POW_QUEUE_SIZE
  --job-timeout SECONDS    a job running longer fails with "timed out"; 0 = never;
                           default ${DEFAULT_JOB_TIMEOUT} (12 h)                                  K2POW_JOB_TIMEOUT
  --auth USER:PASSWORD     require HTTP Basic auth on the job API, /status and /metrics          K2POW_AUTH
  --log-level LEVEL        error, warn, info or debug; default info                              K2POW_LOG_LEVEL
  --log-format FORMAT      text or json; default text                                            K2POW_LOG_FORMAT
  --progress-interval S    seconds between progress lines of the running job; default 30         K2POW_PROGRESS_INTERVAL
  --check-mode MODE        how the pool hashes to check workers' nonces and shares: fast (2 GiB
                           dataset, about 1-3 ms a check), light (256 MiB, about 25 ms) or auto
                           (fast when the memory is there); default auto                         K2POW_CHECK_MODE
${tlsFlagsHelp}`;

const FIELDS: Record<keyof PoolConfig, { flag: FlagName; expect: string }> = {
  host: { flag: "bind-address", expect: "host:port" },
  port: { flag: "bind-address", expect: "host:port with a port from 0 to 65535" },
  workerToken: { flag: "worker-token", expect: "16 to 512 characters (try: openssl rand -hex 16)" },
  db: { flag: "db", expect: "a file path or :memory:" },
  queueSize: { flag: "queue-size", expect: "a whole number from 1 to 1000000" },
  jobTimeoutSeconds: { flag: "job-timeout", expect: "a number of seconds from 0 (never) to 2592000" },
  auth: { flag: "auth", expect: "USER:PASSWORD" },
  logLevel: { flag: "log-level", expect: LOG_LEVELS.join(", ") },
  logFormat: { flag: "log-format", expect: "text or json" },
  progressSeconds: { flag: "progress-interval", expect: "a number of seconds from 0.1 to 86400" },
  checkMode: { flag: "check-mode", expect: "auto, fast or light" },
  ...TLS_FIELDS,
};

export function poolConfig(argv: string[], env: Record<string, string | undefined> = process.env): PoolConfig | "help" {
  const { values } = parseCommandLine(argv, poolFlagOptions, []);
  if (values.help) return "help";
  const pick = (flag: FlagName): string | undefined => (values[flag] as string | undefined) ?? env[envName(flag)];
  const token = pick("worker-token");
  if (token === undefined) throw new UsageError(`--worker-token (or ${envName("worker-token")}) is required: workers must present it`);
  const { host, port } = parseBindAddress(pick("bind-address") ?? "0.0.0.0:3000");
  const config = {
    host,
    port,
    workerToken: token,
    db: pick("db") ?? "k2pow-pool.db",
    queueSize: Number(pick("queue-size") ?? "1000"),
    jobTimeoutSeconds: Number(pick("job-timeout") ?? String(DEFAULT_JOB_TIMEOUT)),
    auth: pick("auth"),
    logLevel: pick("log-level") ?? "info",
    logFormat: pick("log-format") ?? "text",
    progressSeconds: Number(pick("progress-interval") ?? "30"),
    checkMode: pick("check-mode") ?? "auto",
    ...tlsPair(pick),
  };
  if (config.auth === undefined) delete config.auth;
  const error = Value.Errors(PoolConfig, config).First();
  if (error) {
    const key = error.path.slice(1) as keyof PoolConfig;
    const { flag, expect } = FIELDS[key];
    const secret = key === "auth" || key === "workerToken";
    const shown = secret ? `one of ${String(config[key]).length} characters` : `'${String(config[key])}'`;
    throw new UsageError(`--${flag} (${envName(flag)}) must be ${expect}, got ${shown}`);
  }
  return config as PoolConfig;
}
