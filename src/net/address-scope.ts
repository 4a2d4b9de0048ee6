// What a peer's IP address is, for rules that depend on where a request comes from: this machine (loopback) or
// not, and the key a peer is counted under for per-address limits. Shared by the worker, the pool and its admission.
import { BlockList, isIP } from "node:net";

export const family = (address: string) => (isIP(address) === 6 ? "ipv6" : "ipv4");

/** An address without its IPv6 zone ("fe80::1%eth0"), which BlockList does not take. */
export const bare = (address: string) => address.split("%")[0]!;

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/** 127.0.0.0/8 or ::1, also IPv4-mapped (::ffff:127.0.0.1, as a dual-stack socket reports it). Names are not addresses. */
export function isLoopback(address: string): boolean {
  const ip = bare(address);
  return isIP(ip) !== 0 && loopback.check(ip, family(ip));
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
