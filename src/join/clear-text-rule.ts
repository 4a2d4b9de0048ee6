// Where a worker may send its token in clear text (plain ws://): to the pool on this machine or on a private network
// (RFC 1918, carrier-grade NAT, IPv6 unique-local and link-local), not across the internet unless --insecure says so.
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { bare, family, isLoopback } from "../net/address-scope";

const privateNetworks = new BlockList();
for (const [net, bits] of [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["100.64.0.0", 10]] as const) {
  privateNetworks.addSubnet(net, bits, "ipv4");
}
privateNetworks.addSubnet("fc00::", 7, "ipv6");
privateNetworks.addSubnet("fe80::", 10, "ipv6");

/** Loopback, or an address that only a private network reaches. */
function isLoopbackOrPrivate(address: string): boolean {
  const ip = bare(address);
  return isLoopback(ip) || (isIP(ip) !== 0 && privateNetworks.check(ip, family(ip)));
}

/** The addresses of `host` (a name is resolved) that are neither loopback nor private; rejects when it does not resolve. */
export async function publicAddressesOf(host: string): Promise<string[]> {
  const addresses = isIP(bare(host)) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  return addresses.filter((a) => !isLoopbackOrPrivate(a));
}

/**
 * A host name is judged by every address it resolves to, and at each connect, since what it resolves to can change.
 * Null when the token may go; else why not.
 */
export async function clearTextRefusal(host: string): Promise<string | null> {
  let exposed: string[];
  try {
    exposed = await publicAddressesOf(host);
  } catch (err) {
    return `cannot resolve ${host} to check that the worker token stays on a private network (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (exposed.length === 0) return null;
  const where = exposed.join(", ") === host ? host : `${host} (${exposed.join(", ")})`;
  return (
    `not sending the worker token in clear text to ${where}, which is neither this machine nor a private network: ` +
    "anyone on the way could read it. Serve the pool with --tls-cert and --tls-key and join https://…, or give --insecure"
  );
}
