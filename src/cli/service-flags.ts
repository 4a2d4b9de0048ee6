// The flags of the long-running commands (`serve`, `pool`, `join`): where to listen, who may ask, how to log, and
// the token between a pool and its workers.
import { Type } from "@sinclair/typebox";
import { field } from "./config";
import { LOG_LEVELS } from "./log";

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
