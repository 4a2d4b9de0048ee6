// k2pow pool: the coordinator. Opens its database, starts the verifier threads that check what workers send (every
// claimed nonce, and shares as far as the verifier keeps up), then serves post-services and workers on one port.
import { EngineError } from "../engine/engine-error";
import { createPoolServer } from "../http/pool-server";
import { EventFeed } from "../jobs/event-feed";
import { Coordinator, type PoolEvent } from "../pool/coordinator";
import { JobStore } from "../pool/job-store";
import { Verifier } from "../pool/verifier";
import { CLOSE, POOL_PATH } from "../pool/protocol";
import { VERSION } from "../version";
import type { CommandContext } from "./context";
import { listenOrExplain } from "./listen";
import { createLogger, type Logger } from "./log";
import { poolConfig, poolHelp } from "./pool-config";
import { tlsFilesOf } from "./tls-flags";
import { EXIT } from "./usage";

const SHUTDOWN_MS = 2000;

function logEvent(log: Logger, e: PoolEvent): void {
  switch (e.type) {
    case "queued":
      return log.info("job queued", { job: e.key, position: e.position });
    case "started":
      return log.info("job started", { job: e.key, expected_hashes: Math.round(e.expectedHashes), resume_from: e.resumeFrom });
    case "progress":
      return log.info("job running", {
        job: e.key,
        searched: e.searched,
        proven: e.proven,
        seconds: Math.round(e.seconds),
        hash_rate: e.hashRate.toFixed(1),
        eta_seconds: e.etaSeconds === null ? "unknown" : Math.round(e.etaSeconds),
      });
    case "done":
      return log.info("job done", { job: e.key, nonce: e.nonce, by: e.worker, searched: e.searched, seconds: e.seconds.toFixed(2) });
    case "failed":
      return log.error("job failed", { job: e.key, error: e.error, seconds: e.seconds.toFixed(2) });
    case "cancelled":
      return log.info("job cancelled", { job: e.key });
    case "joined":
      return log.info("worker joined", { worker: e.worker, remote: e.remote, threads: e.threads, mode: e.mode });
    case "left":
      return log.info("worker left", { worker: e.worker, reason: e.reason });
    case "dropped":
      return log.warn("worker dropped", { worker: e.worker, remote: e.remote, cause: e.cause, reason: e.reason, ...(e.undone > 0n ? { undone_nonces: e.undone } : {}) });
    case "store-failed":
      return log.error(
        `the pool database failed: ${e.error}; answers found meanwhile are kept in memory and answered (${e.unsaved} so far), new jobs get 429 until it works again`,
      );
    case "store-recovered":
      return log.info(`the pool database works again${e.written > 0 ? `; ${e.written} answer(s) kept in memory are written` : ""}`);
    case "check-failed":
      return log.error(`a check of a worker's work could not run: ${e.error}`);
  }
}

export async function pool(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const config = poolConfig(argv);
  if (config === "help") {
    console.log(poolHelp);
    return EXIT.ok;
  }
  const log = createLogger(config.logLevel, config.logFormat);
  log.info(`k2pow ${VERSION} pool starting`, {
    db: config.db,
    queue_size: config.queueSize,
    queue_per_address: config.queuePerAddress,
    job_timeout: config.jobTimeoutSeconds,
    max_expected_hashes: config.maxExpectedHashes,
  });

  let store: JobStore;
  try {
    store = new JobStore(config.db);
  } catch (err) {
    log.error(`cannot open the pool database at ${config.db}: ${(err as Error).message}; check the path and its permissions, or pick another with --db`);
    return EXIT.failed;
  }
  // Checks run in light mode within a second or two, and move to fast mode once its dataset is loaded or built.
  let verifier: Verifier;
  try {
    verifier = new Verifier({ mode: config.checkMode, workerUrl, datasetFile: config.datasetFile, onNote: (m, level = "info") => log[level](`checks: ${m}`) });
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    log.error(`cannot start RandomX for checking workers' work: ${err.message}; or choose --check-mode light`);
    store.close();
    return EXIT.failed;
  }
  const verifierFailed = verifier.ready.then(
    () => {
      log.info(`checks ready: ${verifier.mode} mode, about ${Math.round(verifier.capacity() ?? 0)} checks a second`);
      return new Promise<never>(() => {});
    },
    (err: Error) => err,
  );

  const events = new EventFeed<PoolEvent>();
  events.subscribe((e) => logEvent(log, e));
  const coordinator = new Coordinator({
    store,
    checker: verifier,
    queueSize: config.queueSize,
    jobTimeoutSeconds: config.jobTimeoutSeconds,
    progressSeconds: config.progressSeconds,
    onEvent: events.emit,
  });
  const server = createPoolServer({
    coordinator,
    events,
    version: VERSION,
    auth: config.auth,
    workerToken: config.workerToken,
    maxExpectedHashes: config.maxExpectedHashes,
    limits: { queueSize: config.queueSize, queuePerAddress: config.queuePerAddress, jobTimeoutSeconds: config.jobTimeoutSeconds },
    // A wrong token is worth a warning (a worker misconfigured, or someone guessing); the rest is routine.
    onRefused: ({ remote, code, reason }) => (code === CLOSE.refused ? log.warn : log.debug)("worker refused", { remote, code, reason }),
    onFault: (method, path, error) => log.error("request failed inside the pool", { method, path, error }),
  });
  const { queued } = coordinator.status().totals;
  if (queued > 0) log.info(`resuming ${queued} queued job(s) from ${config.db}`);

  const tlsFiles = tlsFilesOf(config);
  const started = listenOrExplain(server.listen, config.host, config.port, log, tlsFiles);
  if (started === null) {
    coordinator.close();
    store.close();
    await verifier.close();
    return EXIT.failed;
  }
  const { server: listening, address } = started;
  const workers = `${tlsFiles ? "wss" : "ws"}://HOST:${listening.port}${POOL_PATH}`;
  log.info(`listening on ${address}`, { port: listening.port, workers, auth: config.auth ? "basic" : "none" });
  const warning = server.warning();
  if (warning !== null) log.warn(warning);

  const stopped = await Promise.race([
    new Promise<null>((resolve) => process.once("SIGTERM", () => resolve(null)).once("SIGINT", () => resolve(null))),
    verifierFailed,
  ]);
  if (stopped !== null) log.error(`cannot check workers' work: ${stopped.message}; or choose --check-mode light`);
  log.info("shutting down");
  const timer = setTimeout(() => {
    log.warn(`shutdown took over ${SHUTDOWN_MS} ms; exiting anyway`);
    process.exit(EXIT.ok);
  }, SHUTDOWN_MS);
  coordinator.close();
  await listening.stop(true);
  await verifier.close();
  store.close();
  clearTimeout(timer);
  log.info("stopped");
  return stopped === null ? EXIT.ok : EXIT.failed;
}
