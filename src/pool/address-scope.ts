// Where a worker may send its token in clear: to the pool on this machine or on a private network (RFC 1918,
// carrier-grade NAT, IPv6 unique-local and link-local), not across the internet.
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
export function isLoopbackOrPrivate(address: string): boolean {
  const ip = bare(address);
  return isLoopback(ip) || (isIP(ip) !== 0 && privateNetworks.check(ip, family(ip)));
}

/** The addresses of `host` (a name is resolved) that are neither loopback nor private; rejects when it does not resolve. */
export async function publicAddressesOf(host: string): Promise<string[]> {
  const addresses = isIP(bare(host)) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  return addresses.filter((a) => !isLoopbackOrPrivate(a));
}
