// The flags that more than one command takes (the engine's are in engine-options.ts), each defined once; a command
// may give one its own help line or default. Also the job's four arguments that `prove` and `verify` both take.
import { Type } from "@sinclair/typebox";
import type { K2powJob } from "../engine/k2pow-rule";
import { DEFAULT_MAX_EXPECTED_HASHES, LARGEST_UNITS } from "../jobs/work-bound";
import { parseJob } from "../jobs/job-params";
import { field, UsageError } from "./config";
import { LOG_LEVELS } from "./log";

// The long-running commands (`serve`, `pool`, `join`): where to listen, who may ask, how to log, and the token
// between a pool and its workers.

const HOST_PORT = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/;

export const BIND_ADDRESS = field({
  flag: "bind-address",
  short: "b",
  arg: "ADDR",
  read: (text) => {
    const match = text.match(HOST_PORT);
    return match ? { host: match[1] ?? match[2]!, port: Number(match[3]) } : undefined;
  },
  schema: Type.Object({ host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 0, maximum: 65535 }) }),
  default: { host: "0.0.0.0", port: 3000 },
  takes: "host:port (or [ipv6]:port)",
  parts: { "/port": "host:port with a port from 0 to 65535" },
  help: "host:port to listen on ([::]:3000 for IPv6); default 0.0.0.0:3000",
});

export const AUTH = field({
  flag: "auth",
  arg: "USER:PASSWORD",
  schema: Type.String({ pattern: "^[^:]+:.+$" }),
  takes: "USER:PASSWORD",
  // A password is not echoed into logs, even a wrong one.
  conceal: (text) => (text.includes(":") ? "an empty user or password" : "a value without ':'"),
  help: "require HTTP Basic auth (GET / stays open for health checks)",
});

export const LOG_LEVEL = field({
  flag: "log-level",
  arg: "LEVEL",
  schema: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))),
  default: "info",
  takes: LOG_LEVELS.join(", "),
  help: "error, warn, info or debug; default info",
});

export const LOG_FORMAT = field({
  flag: "log-format",
  arg: "FORMAT",
  schema: Type.Union([Type.Literal("text"), Type.Literal("json")]),
  default: "text",
  takes: "text or json",
  help: "text or json; default text",
});

export const PROGRESS_INTERVAL = field({
  flag: "progress-interval",
  arg: "S",
  read: Number,
  schema: Type.Number({ minimum: 0.1, maximum: 86_400 }),
  default: 30,
  takes: "a number of seconds from 0.1 to 86400",
  help: "seconds between progress lines of a running job; default 30",
});

export const WORKER_TOKEN = field({
  flag: "worker-token",
  arg: "TOKEN",
  schema: Type.String({ minLength: 16, maxLength: 512 }),
  required: "workers must present it",
  takes: "16 to 512 characters (try: openssl rand -hex 16)",
  conceal: (text) => `one of ${text.length} characters`,
  help: "the secret workers must present; 16 characters or more (required)",
});

// The bounds on what one request may cost, for `serve` and `pool`: --max-expected-hashes (a job past it is refused
// with 400) and --job-timeout (a job running longer fails with 500 "timed out").

/** A day's proving window is 12 hours (the cycle gap); a job still running after that has missed it. */
const DEFAULT_JOB_TIMEOUT = 43_200;

export const LIMIT_FIELDS = {
  maxExpectedHashes: field({
    flag: "max-expected-hashes",
    arg: "N",
    read: Number,
    schema: Type.Number({ minimum: 1 }),
    default: DEFAULT_MAX_EXPECTED_HASHES,
    takes: "a number of hashes, 1 or more (5e9 is fine)",
    help: `refuse (400) a job expected to take more hashes; default ${DEFAULT_MAX_EXPECTED_HASHES}, what post-service asks of a ${LARGEST_UNITS.toLocaleString("en-US")}-unit identity`,
  }),
  jobTimeoutSeconds: field({
    flag: "job-timeout",
    arg: "SECONDS",
    read: Number,
    schema: Type.Number({ minimum: 0, maximum: 30 * 86_400 }),
    default: DEFAULT_JOB_TIMEOUT,
    takes: "a number of seconds from 0 (never) to 2592000",
    help: `a job running longer fails with "timed out" (500); 0 = never; default ${DEFAULT_JOB_TIMEOUT} (12 h, a proving window)`,
  }),
};

// TLS: --tls-cert and --tls-key for the servers (`serve`, `pool`), --ca for the clients (`join`, `probe`) that must
// trust a private CA. The files they name are read and checked in tls-files.ts.

/** Both files or neither: checked by tlsPair, which can name both flags. */
export const TLS_FIELDS = {
  tlsCert: field({
    flag: "tls-cert",
    arg: "FILE",
    schema: Type.String({ minLength: 1 }),
    takes: "the path of a PEM certificate file",
    help: "serve https:// (and the pool's wss://) with this PEM certificate, intermediate certificates after it; needs --tls-key",
  }),
  tlsKey: field({
    flag: "tls-key",
    arg: "FILE",
    schema: Type.String({ minLength: 1 }),
    takes: "the path of a PEM private key file",
    help: "the certificate's PEM private key, not encrypted",
  }),
};

/** The two files, given together or not at all. */
export function tlsPair(values: { tlsCert: string | undefined; tlsKey: string | undefined }): { tlsCert?: string; tlsKey?: string } {
  const { tlsCert, tlsKey } = values;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new UsageError("--tls-cert and --tls-key (K2POW_TLS_CERT, K2POW_TLS_KEY) go together: give both, or neither for plain HTTP");
  }
  return tlsCert === undefined ? {} : { tlsCert, tlsKey };
}

/** A private CA for the clients (`join`, `probe`); each says what it trusts it for. */
export const CA_FIELD = field({
  flag: "ca",
  arg: "FILE",
  schema: Type.String({ minLength: 1 }),
  takes: "the path of a PEM certificate file",
  help: "trust the CA certificate(s) in FILE (PEM) instead of the public CAs",
});

/** The size of an identity, which sets post-service's difficulty; `probe` and `--bench` each say what they use it for. */
export const UNITS = field({
  flag: "units",
  arg: "N",
  read: Number,
  schema: Type.Integer({ minimum: 1 }),
  takes: "a whole number of space units",
  help: "space units of an identity",
});

/** The job's four parts on the command line, in the order of the HTTP path. */
export const JOB_ARGS = ["MINER", "GROUP", "CHALLENGE", "DIFFICULTY"] as const;

export function jobFromArgs(positionals: string[]): K2powJob {
  const [miner, nonce_group, challenge, difficulty] = positionals as [string, string, string, string];
  const parsed = parseJob({ miner, nonce_group, challenge, difficulty });
  if (!parsed.ok) throw new UsageError(parsed.message);
  return parsed.job;
}
