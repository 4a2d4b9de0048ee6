// The worker's settings: upstream's flag names and defaults (SPEC §3), each also read from an environment variable
// (K2POW_BIND_ADDRESS, …), checked as a whole against one TypeBox schema.
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { EngineOptions } from "../engine/engine";
import { engineFlagOptions, engineOptions } from "./engine-flags";
import { LIMIT_FIELDS, LimitConfigFields, limitFlagOptions, limitFlagsHelp, limits } from "./limit-flags";
import { LOG_LEVELS } from "./log";
import { TLS_FIELDS, TlsConfigFields, tlsFlagOptions, tlsFlagsHelp, tlsPair } from "./tls-flags";
import { parseCommandLine, UsageError } from "./usage";

export const ServeConfig = Type.Object({
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))),
  logFormat: Type.Union([Type.Literal("text"), Type.Literal("json")]),
  auth: Type.Optional(Type.String({ pattern: "^[^:]+:.+$" })),
  progressSeconds: Type.Number({ minimum: 0.1, maximum: 86_400 }),
  busyStatus: Type.Union([Type.Literal(429), Type.Literal(503)]),
  ...LimitConfigFields,
  ...TlsConfigFields,
});
export type ServeConfig = Static<typeof ServeConfig> & { engine: EngineOptions };

const serveFlagOptions = {
  ...engineFlagOptions,
  "bind-address": { type: "string", short: "b" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  auth: { type: "string" },
  "progress-interval": { type: "string" },
  "busy-status": { type: "string" },
  ...limitFlagOptions,
  ...tlsFlagOptions,
  help: { type: "boolean", short: "h" },
} as const;

type FlagName = Exclude<keyof typeof serveFlagOptions, "help">;

/** The environment variable for a flag: --bind-address → K2POW_BIND_ADDRESS. */
export const envName = (flag: string) => `K2POW_${flag.toUpperCase().replaceAll("-", "_")}`;

export const serveHelp = `Usage: k2pow [serve] [options]

Serves post-service's k2pow API over HTTP. Every option can also be set by its environment variable.

  -b, --bind-address ADDR  host:port to listen on ([::]:3000 for IPv6); default 0.0.0.0:3000   K2POW_BIND_ADDRESS
  --randomx-mode MODE      fast, light or auto (fast when the memory is there); default auto  K2POW_RANDOMX_MODE
  --cores N                search threads; 0 = one per core; default 0                          K2POW_CORES
  --pages MODE             auto, hugetlb, thp or plain; default auto                            K2POW_PAGES
  --randomx-large-pages    same as --pages hugetlb                                              K2POW_RANDOMX_LARGE_PAGES
  --auth USER:PASSWORD     require HTTP Basic auth (GET / stays open for health checks)         K2POW_AUTH
  --log-level LEVEL        error, warn, info or debug; default info                             K2POW_LOG_LEVEL
  --log-format FORMAT      text or json; default text                                           K2POW_LOG_FORMAT
  --progress-interval S    seconds between progress lines of a running job; default 30          K2POW_PROGRESS_INTERVAL
  --busy-status 429|503    the status for "busy with another job"; 503 only behind a load balancer
                           that retries it and turns what is left into 429 (HAProxy 2.6, see
                           examples/haproxy); post-service fails a proof on a 503; default 429  K2POW_BUSY_STATUS
${limitFlagsHelp}
${tlsFlagsHelp}

A job can be cancelled (or its answer forgotten) with DELETE /job/...: with --auth, by anyone who has it;
without, only from this machine.`;

/** Which flag sets each field, and what it takes, for error messages. */
const FIELDS: Record<keyof Static<typeof ServeConfig>, { flag: FlagName; expect: string }> = {
  host: { flag: "bind-address", expect: "host:port" },
  port: { flag: "bind-address", expect: "host:port with a port from 0 to 65535" },
  logLevel: { flag: "log-level", expect: LOG_LEVELS.join(", ") },
  logFormat: { flag: "log-format", expect: "text or json" },
  auth: { flag: "auth", expect: "USER:PASSWORD" },
  progressSeconds: { flag: "progress-interval", expect: "a number of seconds from 0.1 to 86400" },
  busyStatus: { flag: "busy-status", expect: "429 or 503" },
  ...LIMIT_FIELDS,
  ...TLS_FIELDS,
};

export function parseBindAddress(text: string): { host: string; port: number } {
  const match = text.match(/^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/);
  if (!match) throw new UsageError(`--bind-address must be host:port (or [ipv6]:port), got '${text}'`);
  return { host: match[1] ?? match[2]!, port: Number(match[3]) };
}

export function serveConfig(argv: string[], env: Record<string, string | undefined> = process.env): ServeConfig | "help" {
  const { values } = parseCommandLine(argv, serveFlagOptions, []);
  if (values.help) return "help";
  // A flag wins over its environment variable.
  const pick = (flag: FlagName): string | undefined => (values[flag] as string | undefined) ?? env[envName(flag)];
  const largePagesEnv = env[envName("randomx-large-pages")];
  if (largePagesEnv !== undefined && !/^(1|true|0|false)$/.test(largePagesEnv)) {
    throw new UsageError(`${envName("randomx-large-pages")} must be 1, true, 0 or false, got '${largePagesEnv}'`);
  }
  // The page flags as a pair: either one on the command line wins over both environment variables.
  const pagesOnCommandLine = values.pages !== undefined || values["randomx-large-pages"] !== undefined;
  const engine = engineOptions(
    {
      "randomx-mode": pick("randomx-mode"),
      cores: pick("cores"),
      pages: pagesOnCommandLine ? values.pages : env[envName("pages")],
      "randomx-large-pages": pagesOnCommandLine ? values["randomx-large-pages"] : /^(1|true)$/.test(largePagesEnv ?? ""),
    },
    "auto",
  );
  const { host, port } = parseBindAddress(pick("bind-address") ?? "0.0.0.0:3000");
  const config = {
    host,
    port,
    logLevel: pick("log-level") ?? "info",
    logFormat: pick("log-format") ?? "text",
    auth: pick("auth"),
    progressSeconds: Number(pick("progress-interval") ?? "30"),
    busyStatus: Number(pick("busy-status") ?? "429"),
    ...limits(pick),
    ...tlsPair(pick),
  };
  if (config.auth === undefined) delete config.auth;
  const error = Value.Errors(ServeConfig, config).First();
  if (error) {
    const key = error.path.slice(1) as keyof typeof config;
    const { flag, expect } = FIELDS[key];
    // A number that did not parse is shown as given, not as NaN.
    const value = Number.isNaN(config[key]) ? pick(flag) : config[key];
    const shown = key === "auth" ? "a value without ':'" : `'${String(value)}'`;
    throw new UsageError(`--${flag} (${envName(flag)}) must be ${expect}, got ${shown}`);
  }
  return { ...(config as Static<typeof ServeConfig>), engine };
}
