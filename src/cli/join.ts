// k2pow join POOL_URL: a worker that connects out to a pool. Builds its dataset once, then mines the ranges the
// pool hands it, reconnecting with backoff (and keeping the dataset) whenever the pool goes away.
import { hostname } from "node:os";
import { Engine } from "../engine/engine";
import { EngineError } from "../engine/engine-error";
import { PoolMember, poolSocketUrl } from "../pool/pool-member";
import { VERSION } from "../version";
import type { CommandContext } from "./context";
import { engineFlagOptions, engineFlagsHelp, engineOptions } from "./engine-flags";
import { createLogger, LOG_LEVELS, type LogLevel } from "./log";
import { envName } from "./serve-config";
import { EXIT, parseCommandLine, UsageError } from "./usage";

export const joinHelp = `Usage: k2pow join POOL_URL [options]

Works for a k2pow pool: connects out to POOL_URL (http://HOST:PORT, as the pool's -b), so the box needs no
inbound port. The dataset is built once and kept while the pool restarts or the network drops.

  --worker-token TOKEN   the pool's worker token (required; better set as K2POW_WORKER_TOKEN, which
                         other users of the box cannot see in the process list)
  --name NAME            how the pool shows this worker; default the host name
${engineFlagsHelp("auto")}
  --log-level LEVEL      error, warn, info or debug; default info
  --log-format FORMAT    text or json; default text`;

const joinFlagOptions = {
  ...engineFlagOptions,
  "worker-token": { type: "string" },
  name: { type: "string" },
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
  try {
    poolSocketUrl(poolUrl);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const token = values["worker-token"] ?? process.env[envName("worker-token")];
  if (token === undefined || token === "") throw new UsageError(`--worker-token (or ${envName("worker-token")}) is required`);
  const name = values.name ?? hostname().slice(0, 64);
  if (!/^[\x21-\x7e]{1,64}$/.test(name)) throw new UsageError(`--name must be 1 to 64 printable characters without spaces, got '${name}'`);
  const level = (values["log-level"] ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got '${level}'`);
  const format = values["log-format"] ?? "text";
  if (format !== "text" && format !== "json") throw new UsageError(`--log-format must be text or json, got '${format}'`);
  const engineConfig = engineOptions(values, "auto");

  const log = createLogger(level, format);
  log.info(`k2pow ${VERSION} joining ${poolUrl}`, { name });
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
    token,
    name,
    version: VERSION,
    engine,
    onEvent: (e) => {
      switch (e.type) {
        case "connected":
          return log.info("connected to the pool", { worker: e.worker });
        case "disconnected":
          return log.warn("lost the pool; reconnecting", { code: e.code, reason: e.reason, retry_seconds: e.retrySeconds.toFixed(1) });
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
