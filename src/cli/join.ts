// k2pow join POOL_URL: a worker that connects out to a pool. Builds its dataset once, then mines the ranges the
// pool hands it, reconnecting with backoff (and keeping the dataset) whenever the pool goes away.
import { publicAddressesOf } from "../pool/address-scope";
import { PoolMember } from "../pool/pool-member";
import { VERSION } from "../version";
import type { CommandContext } from "./context";
import { joinConfig, joinHelp } from "./join-config";
import { createLogger } from "./log";
import { startEngine } from "./start-engine";
import { readCa } from "./tls-flags";
import { EXIT, UsageError } from "./usage";

export async function join(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const config = joinConfig(argv);
  if (config === "help") {
    console.log(joinHelp);
    return EXIT.ok;
  }
  const { poolUrl, socketUrl, token, name } = config;
  const host = socketUrl.hostname.replace(/^\[|\]$/g, "");
  const guarded = socketUrl.protocol === "ws:" && !config.insecure;
  // Refused at once when it already applies; then asked again before every reconnect, since a name can change.
  if (guarded) {
    const refusal = await clearTextRefusal(host);
    if (refusal !== null) throw new UsageError(refusal);
  }

  const log = createLogger(config.logLevel, config.logFormat);
  let ca: string | undefined;
  if (config.ca !== undefined) {
    const read = readCa(config.ca);
    if (!read.ok) {
      log.error(read.message);
      return EXIT.failed;
    }
    ca = read.pem;
  }
  log.info(`k2pow ${VERSION} joining ${poolUrl}`, { name });
  if (socketUrl.protocol === "ws:" && config.insecure) log.warn("--insecure: the worker token goes to the pool in clear text");
  const engine = startEngine(config.engine, workerUrl, { note: (m, level = "info") => log[level](m), error: (m) => log.error(m) });
  if (engine === null) return EXIT.failed;
  const member = new PoolMember({
    poolUrl,
    ca,
    token,
    name,
    version: VERSION,
    engine,
    beforeConnect: guarded ? () => clearTextRefusal(host) : undefined,
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
        case "held-back":
          return log.error(`not connecting: ${e.reason}`, { retry_seconds: e.retrySeconds.toFixed(1) });
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
 * internet unless --insecure says so. A host name is judged by every address it resolves to, at each connect.
 * Null when the token may go; else why not.
 */
export async function clearTextRefusal(host: string): Promise<string | null> {
  let exposed: string[];
  try {
    exposed = await publicAddressesOf(host);
  } catch (err) {
    return `cannot resolve ${host} to check that the worker token stays on a private network (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (exposed.length === 0) return null;
  const where = exposed.join(", ") === host ? host : `${host} (${exposed.join(", ")})`;
  return (
    `not sending the worker token in clear text to ${where}, which is neither this machine nor a private network: ` +
    "anyone on the way could read it. Serve the pool with --tls-cert and --tls-key and join https://…, or give --insecure"
  );
}
