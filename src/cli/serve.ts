// k2pow [serve]: the worker. Builds the dataset while already answering, runs one job at a time, shuts down cleanly.
// Its settings are upstream's flag names and defaults (SPEC §3), each also read from its environment variable
// (K2POW_BIND_ADDRESS, …).
import { Type } from "@sinclair/typebox";
import { randomxVersion } from "../engine/native-paths";
import { createServer } from "../http/server";
import { JobManager } from "../jobs/job-manager";
import type { JobEvent } from "../jobs/worker-api";
import { TARGET, VERSION } from "../version";
import { command, commandHelp, EXIT, field, readCommand, type CommandContext, type Env } from "./config";
import { engineFields, engineOptions, startEngine } from "./engine-options";
import { listenOrExplain } from "./listen";
import { createLogger, type Logger } from "./log";
import { AUTH, BIND_ADDRESS, LIMIT_FIELDS, LOG_FORMAT, LOG_LEVEL, PROGRESS_INTERVAL, TLS_FIELDS, tlsPair } from "./shared-flags";
import { catchStopSignal, runUntilStopped } from "./shutdown";
import { tlsFilesOf } from "./tls-files";

const BUSY_STATUS = field({
  flag: "busy-status",
  arg: "429|503",
  read: Number,
  schema: Type.Union([Type.Literal(429), Type.Literal(503)]),
  default: 429,
  takes: "429 or 503",
  help:
    'the status for "busy with another job"; 503 only behind a load balancer that retries it and turns what is left ' +
    "into 429 (HAProxy 2.6, see examples/haproxy); post-service fails a proof on a 503; default 429",
});

export const SERVE = command({
  usage: "[serve]",
  about: "Serves post-service's k2pow API over HTTP. Every option can also be set by its environment variable.",
  fields: {
    bindAddress: BIND_ADDRESS,
    ...engineFields("auto"),
    auth: AUTH,
    logLevel: LOG_LEVEL,
    logFormat: LOG_FORMAT,
    progressSeconds: PROGRESS_INTERVAL,
    busyStatus: BUSY_STATUS,
    ...LIMIT_FIELDS,
    ...TLS_FIELDS,
  },
  after: `A job can be cancelled (or its answer forgotten) with DELETE /job/...: with --auth, by anyone who has it;
without, only from this machine.`,
});

export const serveHelp = commandHelp(SERVE);

export function serveConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(SERVE, argv, env);
  if (read === "help") return "help";
  const { bindAddress, mode, threads, pages, largePages, datasetFile, auth, tlsCert, tlsKey, ...rest } = read.values;
  return {
    ...bindAddress,
    ...rest,
    ...(auth === undefined ? {} : { auth }),
    ...tlsPair({ tlsCert, tlsKey }),
    engine: engineOptions({ mode, threads, pages, largePages, datasetFile }),
  };
}

function logJob(log: Logger, e: JobEvent): void {
  const rate = (hashes: bigint, seconds: number) => (Number(hashes) / Math.max(seconds, 1e-9)).toFixed(1);
  switch (e.type) {
    case "started":
      return log.info("job started", { job: e.key, expected_hashes: Math.round(e.expectedHashes) });
    case "progress":
      return log.info("job running", {
        job: e.key,
        hashes: e.hashes,
        seconds: Math.round(e.seconds),
        hash_rate: e.hashRate.toFixed(1),
        expected_hashes: Math.round(e.expectedHashes),
        eta_seconds: e.etaSeconds === null ? "unknown" : Math.round(e.etaSeconds),
      });
    case "done":
      return log.info("job done", {
        job: e.key,
        nonce: e.nonce,
        hashes: e.hashes,
        seconds: e.seconds.toFixed(2),
        hash_rate: rate(e.hashes, e.searchSeconds),
      });
    case "retrying":
      return log.warn("job failed, running it again", { job: e.key, error: e.error, attempt: e.attempt });
    case "failed":
      return log.error("job failed", { job: e.key, error: e.error, seconds: e.seconds.toFixed(2) });
  }
}

export async function serve(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const config = serveConfig(argv);
  if (config === "help") {
    console.log(serveHelp);
    return EXIT.ok;
  }
  const log = createLogger(config.logLevel, config.logFormat);
  const signalled = catchStopSignal();
  log.info(`k2pow ${VERSION} starting`, { target: TARGET, librandomx: randomxVersion(), bun: Bun.version });

  const engine = startEngine(config.engine, workerUrl, { note: (m, level = "info") => log[level](m), error: (m) => log.error(m) });
  if (engine === null) return EXIT.failed;
  const jobs = new JobManager(engine, {
    progressMs: config.progressSeconds * 1000,
    jobTimeoutSeconds: config.jobTimeoutSeconds,
  });
  jobs.subscribe((e) => logJob(log, e));
  const server = createServer({
    jobs,
    auth: config.auth,
    busyStatus: config.busyStatus,
    maxExpectedHashes: config.maxExpectedHashes,
    jobTimeoutSeconds: config.jobTimeoutSeconds,
    onAnswered:
      config.logLevel === "debug"
        ? (method, path, status, ms) => log.debug("request", { method, path, status, ms: ms.toFixed(2) })
        : undefined,
    onFault: (method, path, error) => log.error("request failed inside the worker", { method, path, error }),
    info: { version: VERSION, target: TARGET, librandomx: randomxVersion() },
  });

  const started = listenOrExplain(server.listen, config.host, config.port, log, tlsFilesOf(config));
  if (started === null) {
    await Promise.all([jobs.close(), engine.close()]);
    return EXIT.failed;
  }
  const { server: listening, address } = started;
  log.info(`listening on ${address}`, { port: listening.port, auth: config.auth ? "basic" : "none" });
  const warning = server.warning();
  if (warning !== null) log.warn(warning);

  const engineFailed = engine.ready.then(
    () => undefined,
    (err: Error) => `the engine could not start: ${err.message}`,
  );
  return runUntilStopped(log, signalled, engineFailed, async () => {
    await listening.stop(true);
    // Together: a job may be waiting for the dataset, and only closing the engine stops the build.
    await Promise.all([jobs.close(), engine.close()]);
  });
}
