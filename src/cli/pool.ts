// k2pow pool: the coordinator. Opens its database, starts the verifier threads that check what workers send (every
// claimed nonce, and shares as far as the verifier keeps up), then serves post-services and workers on one port.
// Every flag is also read from its environment variable (K2POW_WORKER_TOKEN, …; the token is better there than on a
// command line that every user of the box can see).
import { Type } from "@sinclair/typebox";
import { EngineError } from "../engine/engine-error";
import { createPoolServer } from "../http/pool-server";
import { DEFAULT_LIMITS } from "../pool/admission";
import { Coordinator, type PoolEvent } from "../pool/coordinator";
import { JobStore } from "../pool/job-store";
import { Verifier } from "../pool/verifier";
import { CLOSE, POOL_PATH } from "../pool/protocol";
import { VERSION } from "../version";
import { command, commandHelp, EXIT, field, readCommand, type CommandContext, type Env } from "./config";
import { DATASET_FILE, datasetFileOption } from "./engine-options";
import { listenOrExplain } from "./listen";
import { createLogger, type Logger } from "./log";
import { AUTH, BIND_ADDRESS, LIMIT_FIELDS, LOG_FORMAT, LOG_LEVEL, PROGRESS_INTERVAL, TLS_FIELDS, tlsPair, WORKER_TOKEN } from "./shared-flags";
import { catchStopSignal, runUntilStopped } from "./shutdown";
import { tlsFilesOf } from "./tls-files";

/**
 * A proof asks for at most 256 nonce groups (post-service's --nonces is at most 4096, 16 nonces a group), so one
 * address can always queue a whole proof's groups, which post-services behind one address never do at once.
 */
const DEFAULT_QUEUE_PER_ADDRESS = 256;

const queueBound = (flag: string, fallback: number, help: string) =>
  field({
    flag,
    arg: "N",
    read: Number,
    schema: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    default: fallback,
    takes: "a whole number from 1 to 1000000",
    help,
  });

export const POOL = command({
  usage: "pool --worker-token TOKEN",
  about: `Queues post-services' k2pow jobs (same HTTP API as a worker) and splits each one across every worker that
connects with 'k2pow join'. Workers connect out to the pool, on the same port. Every option can also be set by
its environment variable.`,
  fields: {
    bindAddress: BIND_ADDRESS,
    workerToken: WORKER_TOKEN,
    db: field({
      flag: "db",
      arg: "PATH",
      schema: Type.String({ minLength: 1 }),
      default: "k2pow-pool.db",
      takes: "a file path or :memory:",
      help: "SQLite file for the queue and answers (:memory: keeps nothing); default k2pow-pool.db",
    }),
    queueSize: queueBound("queue-size", 1000, "jobs queued or running at most; past that a new job gets 429; default 1000"),
    queuePerAddress: queueBound(
      "queue-per-address",
      DEFAULT_QUEUE_PER_ADDRESS,
      `jobs one address (an IPv6 /64) may have queued; past that its new jobs get 429; default ${DEFAULT_QUEUE_PER_ADDRESS}, a whole proof's nonce groups`,
    ),
    maxWorkers: queueBound(
      "max-workers",
      DEFAULT_LIMITS.maxWorkers,
      `workers connected at most (besides ${DEFAULT_LIMITS.maxWorkersPerAddress} per address); one past that is told to retry later; default ${DEFAULT_LIMITS.maxWorkers}`,
    ),
    ...LIMIT_FIELDS,
    auth: {
      ...AUTH,
      help: "require HTTP Basic auth on the job API, /status and /metrics; without it, DELETE /job/... is taken from this machine only",
    },
    logLevel: LOG_LEVEL,
    logFormat: LOG_FORMAT,
    progressSeconds: PROGRESS_INTERVAL,
    /** How the pool hashes to check workers' nonces and shares. */
    checkMode: field({
      flag: "check-mode",
      arg: "MODE",
      schema: Type.Union([Type.Literal("auto"), Type.Literal("fast"), Type.Literal("light")]),
      default: "auto",
      takes: "auto, fast or light",
      help:
        "how the pool hashes to check workers' nonces and shares: fast (2 GiB dataset, about 1-3 ms a check), " +
        "light (256 MiB, about 25 ms) or auto (fast when the memory is there); checks run in light mode until the " +
        "fast dataset is ready; default auto",
    }),
    datasetFile: DATASET_FILE,
    ...TLS_FIELDS,
  },
});

export const poolHelp = commandHelp(POOL);

export function poolConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(POOL, argv, env);
  if (read === "help") return "help";
  const { bindAddress, auth, tlsCert, tlsKey, datasetFile, ...rest } = read.values;
  return {
    ...bindAddress,
    ...rest,
    datasetFile: datasetFileOption(datasetFile),
    ...(auth === undefined ? {} : { auth }),
    ...tlsPair({ tlsCert, tlsKey }),
  };
}

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
    case "store-lost":
      return log.error(
        `${e.reason} while the pool ran; its ${e.kept.queued} queued job(s) and ${e.kept.answers} answer(s) are kept in memory and answered, and written to a new database at the same path`,
      );
    case "store-moved-aside":
      return log.warn(`the file found at ${e.path} is not the pool's database: moved to ${e.movedTo}, never written into`);
    case "store-recovered":
      return log.info(`the pool database works again${e.written > 0 ? `; ${e.written} answer(s) kept in memory are written` : ""}`);
    case "rule-broken":
      return log.error(`the pool broke one of its own rules (a bug; please report it): ${e.error}`);
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
  const signalled = catchStopSignal();
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
    () => log.info(`checks ready: ${verifier.mode} mode, about ${Math.round(verifier.capacity() ?? 0)} checks a second`),
    (err: Error) => `cannot check workers' work: ${err.message}; or choose --check-mode light`,
  );

  const coordinator = new Coordinator({
    store,
    checker: verifier,
    queueSize: config.queueSize,
    jobTimeoutSeconds: config.jobTimeoutSeconds,
    progressSeconds: config.progressSeconds,
  });
  coordinator.subscribe((e) => logEvent(log, e));
  const server = createPoolServer({
    coordinator,
    version: VERSION,
    auth: config.auth,
    workerToken: config.workerToken,
    maxExpectedHashes: config.maxExpectedHashes,
    maxWorkers: config.maxWorkers,
    limits: { queueSize: config.queueSize, queuePerAddress: config.queuePerAddress, jobTimeoutSeconds: config.jobTimeoutSeconds },
    // A wrong token is worth a warning (a worker misconfigured, or someone guessing); the rest is routine.
    onRefused: ({ remote, code, reason }) => (code === CLOSE.refused ? log.warn : log.debug)("worker refused", { remote, code, reason }),
    onFault: (method, path, error) => log.error("request failed inside the pool", { method, path, error }),
  });
  const { queued } = coordinator.status().totals;
  if (queued > 0) log.info(`resuming ${queued} queued job(s) from ${config.db}`);
  coordinator.start();

  const tlsFiles = tlsFilesOf(config);
  const started = listenOrExplain(server.listen, config.host, config.port, log, tlsFiles);
  if (started === null) {
    coordinator.close();
    await verifier.close();
    return EXIT.failed;
  }
  const { server: listening, address } = started;
  const workers = `${tlsFiles ? "wss" : "ws"}://HOST:${listening.port}${POOL_PATH}`;
  log.info(`listening on ${address}`, { port: listening.port, workers, auth: config.auth ? "basic" : "none" });
  const warning = server.warning();
  if (warning !== null) log.warn(warning);

  return runUntilStopped(log, signalled, verifierFailed, async () => {
    coordinator.close();
    await listening.stop(true);
    await verifier.close();
  });
}
