// Who may do what from where over HTTP, for the worker and the pool alike: cancelling is for this machine unless
// --auth guards the API, and a server that listens beyond this machine without --auth says so.
import { isLoopback } from "../net/address-scope";

/** Whether a DELETE (cancelling a job) may come from `address`: from anywhere with --auth, else only this machine. */
export function mayCancel(address: string | undefined, authRequired: boolean): boolean {
  return authRequired || (address !== undefined && isLoopback(address));
}

/** One line naming the risk and the flag when `host` is reachable from other machines without --auth; else null. */
export function openWarning(host: string, authRequired: boolean, what: "worker" | "pool"): string | null {
  if (authRequired || host === "localhost" || isLoopback(host)) return null;
  const risk =
    what === "worker"
      ? "anyone who reaches this port can run jobs on this worker, each for up to --job-timeout while post-service's wait, and read its jobs (miner ids, challenges, nonces) in /status and /ui"
      : "anyone who reaches this port can queue jobs on this pool, up to --queue-per-address of them, ahead of post-service's, and read every worker's address and port and every job in /status and /ui";
  return `open to the network without --auth: ${risk}; set --auth USER:PASSWORD (K2POW_AUTH), or bind to 127.0.0.1`;
}
