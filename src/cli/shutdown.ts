// How a long-running command (`serve`, `pool`, `join`) ends: on SIGTERM or SIGINT, or when something it cannot run
// without fails; then everything is closed within SHUTDOWN_MS, or the process exits anyway. The exit code says which
// of the two ended it, also when the process exits anyway: EXIT.ok after a signal, EXIT.failed after a failure.
import { EXIT } from "./config";
import type { Logger } from "./log";

/** How long shutdown may take before the process exits anyway. */
export const SHUTDOWN_MS = 2000;

/**
 * The signals that stop a command. Windows sends no SIGTERM; it has Ctrl+C (SIGINT), Ctrl+Break (SIGBREAK), and the
 * console window being closed (SIGHUP, after which Windows ends the process within seconds).
 */
const STOP_SIGNALS: NodeJS.Signals[] =
  process.platform === "win32" ? ["SIGTERM", "SIGINT", "SIGBREAK", "SIGHUP"] : ["SIGTERM", "SIGINT"];

/**
 * Catches the first stop signal (SIGTERM or SIGINT) from now on. A command calls it before it says it is running:
 * whoever sends a signal on reading that line (systemd, a script, a test) must find the handler in place, or the
 * signal's default action kills the process without closing anything.
 */
export function catchStopSignal(): Promise<null> {
  return new Promise<null>((resolve) => {
    for (const signal of STOP_SIGNALS) process.once(signal, () => resolve(null));
  });
}

/**
 * Waits for the signal `signalled` (from catchStopSignal), or for `failure` to resolve with the line to log (resolving
 * with nothing is no failure), then runs `close` and returns the exit code. A failure after the signal (closing cut a
 * start short) is not reported.
 */
export async function runUntilStopped(
  log: Logger,
  signalled: Promise<null>,
  failure: Promise<string | void>,
  close: () => Promise<void>,
): Promise<number> {
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
