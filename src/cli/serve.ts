// k2pow [serve]: the worker. Builds the dataset while already answering, runs one job at a time, shuts down cleanly.
import { randomxVersion } from "../engine/native-paths";
import { createServer } from "../http/server";
import { JobManager } from "../jobs/job-manager";
import type { JobEvent } from "../jobs/worker-api";
import { TARGET, VERSION } from "../version";
import { listenOrExplain } from "./listen";
import { createLogger, type Logger } from "./log";
import { serveConfig, serveHelp } from "./serve-config";
import { startEngine } from "./start-engine";
import { tlsFilesOf } from "./tls-flags";
import type { CommandContext } from "./context";
import { EXIT } from "./usage";

/** How long shutdown may take before the process exits anyway. */
const SHUTDOWN_MS = 2000;

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

  let stopping = false;
  const outcome = await new Promise<"signal" | "engine failed">((resolve) => {
    const stop = () => {
      stopping = true;
      resolve("signal");
    };
    process.once("SIGTERM", stop).once("SIGINT", stop);
    engine.ready.catch((err: Error) => {
      // A build cut short by our own shutdown is not a failure to report.
      if (stopping) return;
      log.error(`the engine could not start: ${err.message}`);
      resolve("engine failed");
    });
  });

  log.info("shutting down");
  const timer = setTimeout(() => {
    log.warn(`shutdown took over ${SHUTDOWN_MS} ms; exiting anyway`);
    process.exit(outcome === "signal" ? EXIT.ok : EXIT.failed);
  }, SHUTDOWN_MS);
  await listening.stop(true);
  // Together: a job may be waiting for the dataset, and only closing the engine stops the build.
  await Promise.all([jobs.close(), engine.close()]);
  clearTimeout(timer);
  log.info("stopped");
  return outcome === "signal" ? EXIT.ok : EXIT.failed;
}
