// k2pow health: asks the worker or pool on this box for GET / and exits 0 when it answers 200. For a container's
// HEALTHCHECK (the image has no curl) and any supervisor: it reads the same K2POW_BIND_ADDRESS and K2POW_TLS_CERT
// as the server beside it, so it needs no arguments there.
import { Type } from "@sinclair/typebox";
import { isLoopback } from "../net/address-scope";
import { command, commandHelp, EXIT, field, readCommand, type Env } from "./config";
import { BIND_ADDRESS, TLS_FIELDS } from "./shared-flags";

const HEALTH = command({
  usage: "health",
  about: `Asks the worker or pool listening on --bind-address of this box for GET / and exits 0 when it answers 200
within --timeout, 1 otherwise, saying why on stderr. Reads the server's own K2POW_BIND_ADDRESS and K2POW_TLS_CERT,
so in a container or beside a service it takes no arguments. 'join' listens on no port: it has no health check.`,
  fields: {
    bindAddress: { ...BIND_ADDRESS, help: "the server's --bind-address; an address of every interface is asked on loopback" },
    tlsCert: {
      ...TLS_FIELDS.tlsCert,
      help: "the server's --tls-cert: when set, asks over https, without checking the certificate when on loopback (it is this box's own)",
    },
    timeout: field({
      flag: "timeout",
      arg: "SECONDS",
      read: Number,
      schema: Type.Number({ exclusiveMinimum: 0, maximum: 300 }),
      default: 5,
      takes: "a number of seconds above 0, at most 300",
      help: "give up after this long; default 5",
    }),
  },
  after: "Exit status: 0 healthy, 1 not answering or not 200, 2 bad arguments.",
});

/** The URL to ask: a wildcard bind address is reached on loopback of the same family. */
export function healthUrl(bind: { host: string; port: number }, tls: boolean): string {
  const wildcard: Record<string, string> = { "0.0.0.0": "127.0.0.1", "::": "[::1]" };
  const host = wildcard[bind.host] ?? (bind.host.includes(":") ? `[${bind.host}]` : bind.host);
  return `${tls ? "https" : "http"}://${host}:${bind.port}/`;
}

export function healthConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(HEALTH, argv, env);
  if (read === "help") return "help";
  const { bindAddress, tlsCert, timeout } = read.values;
  const url = healthUrl(bindAddress, tlsCert !== undefined);
  // On loopback the server is this box's own and its certificate names the public name, not 127.0.0.1.
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
  return { url, timeoutMs: timeout * 1000, checkCertificate: !(isLoopback(host) || host === "localhost") };
}

export async function health(argv: string[]): Promise<number> {
  const config = healthConfig(argv);
  if (config === "help") {
    console.log(commandHelp(HEALTH));
    return EXIT.ok;
  }
  const { url, timeoutMs, checkCertificate } = config;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), tls: { rejectUnauthorized: checkCertificate } });
    await response.arrayBuffer();
    if (response.status === 200) return EXIT.ok;
    console.error(`k2pow health: ${url} answered ${response.status}, not 200`);
  } catch (err) {
    const { name, code, message } = err as Error & { code?: string };
    const reason =
      name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s`
      : code === "ConnectionRefused" || code === "ECONNREFUSED" ? "connection refused: nothing listens there"
      : message;
    console.error(`k2pow health: ${url}: ${reason}`);
  }
  return EXIT.no;
}
