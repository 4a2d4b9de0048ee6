// Which network an IP address belongs to, for deciding what may travel to or come from it: the machine itself
// (loopback), a private network (RFC 1918, carrier-grade NAT, IPv6 unique-local and link-local), or the internet.
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const family = (address: string) => (isIP(address) === 6 ? "ipv6" : "ipv4");

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

const privateNetworks = new BlockList();
for (const [net, bits] of [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["100.64.0.0", 10]] as const) {
  privateNetworks.addSubnet(net, bits, "ipv4");
}
privateNetworks.addSubnet("fc00::", 7, "ipv6");
privateNetworks.addSubnet("fe80::", 10, "ipv6");

/** An address without its IPv6 zone ("fe80::1%eth0"), which BlockList does not take. */
const bare = (address: string) => address.split("%")[0]!;

/** 127.0.0.0/8 or ::1, also IPv4-mapped (::ffff:127.0.0.1, as a dual-stack socket reports it). */
export function isLoopback(address: string): boolean {
  const ip = bare(address);
  return isIP(ip) !== 0 && loopback.check(ip, family(ip));
}

/** Loopback, or an address that only a private network reaches. */
export function isLoopbackOrPrivate(address: string): boolean {
  const ip = bare(address);
  return isIP(ip) !== 0 && (loopback.check(ip, family(ip)) || privateNetworks.check(ip, family(ip)));
}

/** The addresses of `host` (a name is resolved) that are neither loopback nor private; rejects when it does not resolve. */
export async function publicAddressesOf(host: string): Promise<string[]> {
  const addresses = isIP(bare(host)) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  return addresses.filter((a) => !isLoopbackOrPrivate(a));
}

/**
 * The key a remote peer is counted under: an IPv4 address (also when mapped into IPv6), or an IPv6 address's /64,
 * since one host is usually given a whole /64 and could otherwise step round a per-address limit at will.
 */
export function addressKey(address: string): string {
  const ip = bare(address);
  const mapped = ip.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head = "", tail] = ip.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array<string>(8 - front.length - back.length).fill("0"), ...back];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")}::/64`;
}
