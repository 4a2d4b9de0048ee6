// k2pow join POOL_URL: a worker that connects out to a pool. Builds its dataset once, then mines the ranges the
// pool hands it, reconnecting with backoff (and keeping the dataset) whenever the pool goes away.
import { hostname } from "node:os";
import { Engine } from "../engine/engine";
import { EngineError } from "../engine/engine-error";
import { publicAddressesOf } from "../pool/address-scope";
import { PoolMember, poolSocketUrl } from "../pool/pool-member";
import { VERSION } from "../version";
import type { CommandContext } from "./context";
import { engineFlagOptions, engineFlagsHelp, engineOptions } from "./engine-flags";
import { createLogger, LOG_LEVELS, type LogLevel } from "./log";
import { envName } from "./serve-config";
import { readCa } from "./tls-flags";
import { EXIT, parseCommandLine, UsageError } from "./usage";

export const joinHelp = `Usage: k2pow join POOL_URL [options]

Works for a k2pow pool: connects out to POOL_URL (http://HOST:PORT, as the pool's -b, or https://HOST:PORT
when the pool serves TLS), so the box needs no inbound port. The dataset is built once and kept while the pool
restarts or the network drops.

  --worker-token TOKEN   the pool's worker token (required; better set as K2POW_WORKER_TOKEN, which
                         other users of the box cannot see in the process list)
  --name NAME            how the pool shows this worker; default the host name
  --ca FILE              trust the CA certificate(s) in FILE (PEM) for an https:// pool, instead of the
                         public CAs: for a pool whose certificate comes from your own CA (K2POW_CA)
  --insecure             allow an http:// pool that is neither on this machine nor on a private network,
                         although the token then crosses the network in clear text
${engineFlagsHelp("auto")}
  --log-level LEVEL      error, warn, info or debug; default info
  --log-format FORMAT    text or json; default text`;

const joinFlagOptions = {
  ...engineFlagOptions,
  "worker-token": { type: "string" },
  name: { type: "string" },
  ca: { type: "string" },
  insecure: { type: "boolean" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function join(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, joinFlagOptions, ["POOL_URL"]);
  if (values.help) {
    console.log(joinHelp);
    return EXIT.ok;
  }
  const poolUrl = positionals[0]!;
  let socketUrl: URL;
  try {
    socketUrl = new URL(poolSocketUrl(poolUrl));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const caFile = values.ca ?? process.env[envName("ca")];
  if (socketUrl.protocol === "ws:" && caFile !== undefined) throw new UsageError(`--ca (${envName("ca")}) is for an https:// pool; ${poolUrl} is not`);
  const token = values["worker-token"] ?? process.env[envName("worker-token")];
  if (token === undefined || token === "") throw new UsageError(`--worker-token (or ${envName("worker-token")}) is required`);
  const name = values.name ?? hostname().slice(0, 64);
  if (!/^[\x21-\x7e]{1,64}$/.test(name)) throw new UsageError(`--name must be 1 to 64 printable characters without spaces, got '${name}'`);
  const level = (values["log-level"] ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got '${level}'`);
  const format = values["log-format"] ?? "text";
  if (format !== "text" && format !== "json") throw new UsageError(`--log-format must be text or json, got '${format}'`);
  const engineConfig = engineOptions(values, "auto");
  if (socketUrl.protocol === "ws:" && !values.insecure) await refuseClearTextToPublic(socketUrl.hostname.replace(/^\[|\]$/g, ""));

  const log = createLogger(level, format);
  let ca: string | undefined;
  if (caFile !== undefined) {
    const read = readCa(caFile);
    if (!read.ok) {
      log.error(read.message);
      return EXIT.failed;
    }
    ca = read.pem;
  }
  log.info(`k2pow ${VERSION} joining ${poolUrl}`, { name });
  if (socketUrl.protocol === "ws:" && values.insecure) log.warn("--insecure: the worker token goes to the pool in clear text");
  let engine: Engine;
  try {
    engine = new Engine({ ...engineConfig, workerUrl, onNote: (m) => log.info(m) });
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    log.error(err.message);
    return EXIT.failed;
  }
  const member = new PoolMember({
    poolUrl,
    ca,
    token,
    name,
    version: VERSION,
    engine,
    onEvent: (e) => {
      switch (e.type) {
        case "connected":
          return log.info("connected to the pool", { worker: e.worker });
        case "disconnected":
          // A certificate the worker does not trust is a setting to fix, not a network hiccup; it keeps trying,
          // since the fix may come from the pool's side (a renewed certificate) without a restart here.
          if (e.tls) return log.error(e.reason, { retry_seconds: e.retrySeconds.toFixed(1) });
          return log.warn(e.welcomed ? "lost the pool; reconnecting" : "could not join the pool; retrying", {
            code: e.code,
            reason: e.reason,
            retry_seconds: e.retrySeconds.toFixed(1),
          });
        case "range":
          return log.debug("range", { range: e.range, start: e.start, count: e.count });
        case "found":
          return log.info("found a nonce", { range: e.range, nonce: e.nonce });
        case "range-failed":
          return log.error("could not search a range", { range: e.range, error: e.error });
      }
    },
  });
  const stop = () => member.stop();
  process.once("SIGTERM", stop).once("SIGINT", stop);
  try {
    await engine.ready;
  } catch (err) {
    log.error(`the engine could not start: ${(err as Error).message}`);
    await engine.close();
    return EXIT.failed;
  }
  const outcome = await member.run();
  await engine.close();
  if ("refused" in outcome) {
    log.error(`the pool refused this worker: ${outcome.refused}`);
    return EXIT.failed;
  }
  log.info("stopped");
  return EXIT.ok;
}

/**
 * Plain ws:// carries the token in clear text: fine on this machine or a private network, refused towards the
 * internet unless --insecure says so. A host name is judged by every address it resolves to.
 */
async function refuseClearTextToPublic(host: string): Promise<void> {
  let exposed: string[];
  try {
    exposed = await publicAddressesOf(host);
  } catch (err) {
    throw new UsageError(`cannot resolve ${host} to check that the worker token stays on a private network (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (exposed.length === 0) return;
  const where = exposed.join(", ") === host ? host : `${host} (${exposed.join(", ")})`;
  throw new UsageError(
    `not sending the worker token in clear text to ${where}, which is neither this machine nor a private network: ` +
      "anyone on the way could read it. Serve the pool with --tls-cert and --tls-key and join https://…, or give --insecure",
  );
}
