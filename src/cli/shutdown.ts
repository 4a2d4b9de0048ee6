// How a long-running command (`serve`, `pool`, `join`) ends: on SIGTERM or SIGINT, or when something it cannot run
// without fails; then everything is closed within SHUTDOWN_MS, or the process exits anyway. The exit code says which
// of the two ended it, also when the process exits anyway: EXIT.ok after a signal, EXIT.failed after a failure.
import { EXIT } from "./config";
import type { Logger } from "./log";

/** How long shutdown may take before the process exits anyway. */
export const SHUTDOWN_MS = 2000;

/**
 * Waits for a signal, or for `failure` to resolve with the line to log (resolving with nothing is no failure), then
 * runs `close` and returns the exit code. A failure after the signal (closing cut a start short) is not reported.
 */
export async function runUntilStopped(log: Logger, failure: Promise<string | void>, close: () => Promise<void>): Promise<number> {
  const signalled = new Promise<null>((resolve) => process.once("SIGTERM", () => resolve(null)).once("SIGINT", () => resolve(null)));
  const failed = failure.then((line) => (typeof line === "string" ? line : new Promise<never>(() => {})));
  const line = await Promise.race([signalled, failed]);
  if (line !== null) log.error(line);
  const code = line === null ? EXIT.ok : EXIT.failed;
  log.info("shutting down");
  const timer = setTimeout(() => {
    log.warn(`shutdown took over ${SHUTDOWN_MS} ms; exiting anyway`);
    process.exit(code);
  }, SHUTDOWN_MS);
  await close();
  clearTimeout(timer);
  log.info("stopped");
  return code;
}
