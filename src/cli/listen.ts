// Starting to listen, as the worker and the pool both do: the TLS files read and checked, the address as a user
// writes it (https:// when TLS is on), and a failure turned into one log line that says what to do.
import type { TlsPem } from "../http/server";
import type { Logger } from "./log";
import { loadTls, type TlsFiles } from "./tls-files";

/** The listening server, or null once the failure has been logged. */
export function listenOrExplain<S>(
  listen: (host: string, port: number, tls?: TlsPem) => S,
  host: string,
  port: number,
  log: Logger,
  tlsFiles?: TlsFiles,
): { server: S; address: string } | null {
  const hostPort = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const address = tlsFiles ? `https://${hostPort}` : hostPort;
  let tls: TlsPem | undefined;
  if (tlsFiles) {
    const loaded = loadTls(tlsFiles);
    if (!loaded.ok) {
      log.error(loaded.message);
      return null;
    }
    if (loaded.warning !== null) log.warn(loaded.warning);
    tls = loaded.pem;
  }
  try {
    return { server: listen(host, port, tls), address };
  } catch (err) {
    const message = (err as Error).message;
    const inUse = /in use|EADDRINUSE/i.test(message);
    log.error(`cannot listen on ${address}: ${inUse ? "the port is in use (another k2pow?); pick another with -b HOST:PORT" : message}`);
    return null;
  }
}
