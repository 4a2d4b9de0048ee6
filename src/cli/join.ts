// k2pow join POOL_URL: a worker that connects out to a pool. Builds its dataset once, then mines the ranges the
// pool hands it, reconnecting with backoff (and keeping the dataset) whenever the pool goes away. Every flag but
// --insecure is also read from its environment variable.
import { hostname } from "node:os";
import { Type } from "@sinclair/typebox";
import { clearTextRefusal } from "../join/clear-text-rule";
import { PoolMember, poolSocketUrl } from "../join/pool-member";
import { VERSION } from "../version";
import { command, commandHelp, envName, EXIT, field, readCommand, switchField, UsageError, type CommandContext, type Env } from "./config";
import { engineFields, engineOptions, startEngine } from "./engine-options";
import { createLogger } from "./log";
import { CA_FIELD, LOG_FORMAT, LOG_LEVEL, WORKER_TOKEN } from "./shared-flags";
import { catchStopSignal, runUntilStopped } from "./shutdown";
import { readCa } from "./tls-files";

export const JOIN = command({
  usage: "join POOL_URL",
  about: `Works for a k2pow pool: connects out to POOL_URL (http://HOST:PORT, as the pool's -b, or https://HOST:PORT
when the pool serves TLS), so the box needs no inbound port. The dataset is built once and kept while the pool
restarts or the network drops. Every option but --insecure can also be set by its environment variable.`,
  positionals: ["POOL_URL"],
  fields: {
    token: {
      ...WORKER_TOKEN,
      help: "the pool's worker token (required); better set as the variable, which other users of the box cannot see in the process list",
    },
    name: field({
      flag: "name",
      arg: "NAME",
      schema: Type.String({ pattern: "^[\\x21-\\x7e]{1,64}$" }),
      default: () => hostname().slice(0, 64),
      takes: "1 to 64 printable characters without spaces",
      help: "how the pool shows this worker; default the host name",
    }),
    ca: { ...CA_FIELD, help: "trust the CA certificate(s) in FILE (PEM) for an https:// pool, instead of the public CAs: for a pool whose certificate comes from your own CA" },
    // The one flag without a variable: clear text towards the internet is a choice made each time, not a setting.
    insecure: switchField({
      flag: "insecure",
      env: false,
      help: "allow an http:// pool that is neither on this machine nor on a private network, although the token then crosses the network in clear text",
    }),
    ...engineFields("auto"),
    logLevel: LOG_LEVEL,
    logFormat: LOG_FORMAT,
  },
});

export const joinHelp = commandHelp(JOIN);

export function joinConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(JOIN, argv, env);
  if (read === "help") return "help";
  const { mode, threads, pages, largePages, datasetFile, ...rest } = read.values;
  const poolUrl = read.positionals[0]!;
  let socketUrl: URL;
  try {
    socketUrl = new URL(poolSocketUrl(poolUrl));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (socketUrl.protocol === "ws:" && rest.ca !== undefined) throw new UsageError(`--ca (${envName("ca")}) is for an https:// pool; ${poolUrl} is not`);
  return { poolUrl, socketUrl, ...rest, engine: engineOptions({ mode, threads, pages, largePages, datasetFile }) };
}

export async function join(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const config = joinConfig(argv);
  if (config === "help") {
    console.log(joinHelp);
    return EXIT.ok;
  }
  const { poolUrl, socketUrl, token, name } = config;
  const host = socketUrl.hostname.replace(/^\[|\]$/g, "");
  // Plain ws:// carries the token in clear text. Refused at once when the rule already applies; then asked again
  // before every reconnect, since a name can change.
  const guarded = socketUrl.protocol === "ws:" && !config.insecure;
  if (guarded) {
    const refusal = await clearTextRefusal(host);
    if (refusal !== null) throw new UsageError(refusal);
  }

  const log = createLogger(config.logLevel, config.logFormat);
  const signalled = catchStopSignal();
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
  // It works for the pool once the engine is ready, until stopped or refused (a wrong token or protocol).
  const working = engine.ready.then(() => member.run());
  const failed = working.then(
    (outcome) => ("refused" in outcome ? `the pool refused this worker: ${outcome.refused}` : undefined),
    (err: Error) => `the engine could not start: ${err.message}`,
  );
  return runUntilStopped(log, signalled, failed, async () => {
    member.stop();
    // A build in progress stops only when the engine closes; once it is ready, the member's last range ends first.
    if (engine.status().phase !== "ready") await engine.close();
    await working.catch(() => {});
    await engine.close();
  });
}
