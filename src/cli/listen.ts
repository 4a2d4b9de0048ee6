// Starting to listen, as the worker and the pool both do: the address as a user writes it, and a failure turned
// into one log line that says what to do.
import type { Logger } from "./log";

/** The listening server, or null once the failure has been logged. */
export function listenOrExplain<S>(
  listen: (host: string, port: number) => S,
  host: string,
  port: number,
  log: Logger,
): { server: S; address: string } | null {
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  try {
    return { server: listen(host, port), address };
  } catch (err) {
    const message = (err as Error).message;
    const inUse = /in use|EADDRINUSE/i.test(message);
    log.error(`cannot listen on ${address}: ${inUse ? "the port is in use (another k2pow?); pick another with -b HOST:PORT" : message}`);
    return null;
  }
}
