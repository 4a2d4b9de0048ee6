// The pool's settings: flags, each also read from its environment variable (K2POW_WORKER_TOKEN, …; the token is
// better there than on a command line that every user of the box can see), checked against one TypeBox schema.
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { LIMIT_FIELDS, LimitConfigFields, limitFlagOptions, limitFlagsHelp, limits } from "./limit-flags";
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
  queuePerAddress: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  ...LimitConfigFields,
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
  "queue-per-address": { type: "string" },
  ...limitFlagOptions,
  auth: { type: "string" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  "progress-interval": { type: "string" },
  "check-mode": { type: "string" },
  ...tlsFlagOptions,
  help: { type: "boolean", short: "h" },
} as const;

type FlagName = Exclude<keyof typeof poolFlagOptions, "help">;

/**
 * A proof asks for at most 256 nonce groups (post-service's --nonces is at most 4096, 16 nonces a group), so one
 * address can always queue a whole proof's groups, which post-services behind one address never do at once.
 */
const DEFAULT_QUEUE_PER_ADDRESS = 256;

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
  --queue-per-address N    jobs one address (an IPv6 /64) may have queued; past that its new
${`                           jobs get 429; default ${DEFAULT_QUEUE_PER_ADDRESS}, a whole proof's nonce groups`.padEnd(97)}K2POW_QUEUE_PER_ADDRESS
${limitFlagsHelp}
  --auth USER:PASSWORD     require HTTP Basic auth on the job API, /status and /metrics; without
                           it, DELETE /job/... is taken from this machine only                   K2POW_AUTH
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
  queuePerAddress: { flag: "queue-per-address", expect: "a whole number from 1 to 1000000" },
  ...LIMIT_FIELDS,
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
    queuePerAddress: Number(pick("queue-per-address") ?? DEFAULT_QUEUE_PER_ADDRESS),
    ...limits(pick),
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
    // A number that did not parse is shown as given, not as NaN.
    const value = Number.isNaN(config[key]) ? pick(flag) : config[key];
    const shown = secret ? `one of ${String(config[key]).length} characters` : `'${String(value)}'`;
    throw new UsageError(`--${flag} (${envName(flag)}) must be ${expect}, got ${shown}`);
  }
  return config as PoolConfig;
}
