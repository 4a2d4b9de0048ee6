// k2pow pool: the coordinator. Opens its database, starts a light-mode RandomX cache for checking what workers
// send (one hash per claimed nonce and per sampled share), then serves post-services and workers on one port.
import { Engine } from "../engine/engine";
import { EngineError } from "../engine/engine-error";
import { createPoolServer } from "../http/pool-server";
import { Coordinator, type PoolEvent } from "../pool/coordinator";
import { JobStore } from "../pool/job-store";
import { POOL_PATH } from "../pool/protocol";
import { VERSION } from "../version";
import type { CommandContext } from "./context";
import { listenOrExplain } from "./listen";
import { createLogger, type Logger } from "./log";
import { poolConfig, poolHelp } from "./pool-config";
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
      return log.warn("worker dropped", { worker: e.worker, remote: e.remote, reason: e.reason });
    case "store-failed":
      return log.error(`the pool database failed: ${e.error}; new jobs get 429 until it works again`);
  }
}

export async function pool(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const config = poolConfig(argv);
  if (config === "help") {
    console.log(poolHelp);
    return EXIT.ok;
  }
  const log = createLogger(config.logLevel, config.logFormat);
  log.info(`k2pow ${VERSION} pool starting`, { db: config.db, queue_size: config.queueSize, job_timeout: config.jobTimeoutSeconds });

  let store: JobStore;
  try {
    store = new JobStore(config.db);
  } catch (err) {
    log.error(`cannot open the pool database at ${config.db}: ${(err as Error).message}; check the path and its permissions, or pick another with --db`);
    return EXIT.failed;
  }
  let checker: Engine;
  try {
    checker = new Engine({ mode: "light", threads: 1, pages: "plain", workerUrl });
    await checker.ready;
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    log.error(`cannot start RandomX for checking workers' nonces: ${err.message}`);
    store.close();
    return EXIT.failed;
  }

  let observe = (_e: PoolEvent) => {};
  const coordinator = new Coordinator({
    store,
    verifier: checker,
    token: config.workerToken,
    queueSize: config.queueSize,
    jobTimeoutSeconds: config.jobTimeoutSeconds,
    tuning: { progressSeconds: config.progressSeconds },
    onEvent: (e) => {
      logEvent(log, e);
      observe(e);
    },
  });
  const server = createPoolServer({ coordinator, version: VERSION, auth: config.auth });
  observe = server.observe;
  const { queued } = coordinator.status().totals;
  if (queued > 0) log.info(`resuming ${queued} queued job(s) from ${config.db}`);

  const started = listenOrExplain(server.listen, config.host, config.port, log);
  if (started === null) {
    coordinator.close();
    store.close();
    await checker.close();
    return EXIT.failed;
  }
  const { server: listening, address } = started;
  log.info(`listening on ${address}`, { port: listening.port, workers: `ws://HOST:${listening.port}${POOL_PATH}`, auth: config.auth ? "basic" : "none" });

  await new Promise<void>((resolve) => process.once("SIGTERM", resolve).once("SIGINT", resolve));
  log.info("shutting down");
  const timer = setTimeout(() => {
    log.warn(`shutdown took over ${SHUTDOWN_MS} ms; exiting anyway`);
    process.exit(EXIT.ok);
  }, SHUTDOWN_MS);
  coordinator.close();
  await listening.stop(true);
  store.close();
  await checker.close();
  clearTimeout(timer);
  log.info("stopped");
  return EXIT.ok;
}
