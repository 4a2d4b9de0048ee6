// HTTP requests from a chosen local address (127.0.0.2, or this machine's own non-loopback address), so that a test
// can act as another machine towards per-address rules; fetch cannot pick its source address.
import { connect } from "node:net";
import { networkInterfaces } from "node:os";

export function requestFrom(
  localAddress: string,
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => {
      const lines = [`${method} ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "Connection: close", "", ""];
      socket.write(lines.join("\r\n"));
    });
    let data = "";
    socket.on("data", (chunk) => (data += chunk.toString()));
    socket.on("end", () => {
      const status = Number(data.match(/^HTTP\/1\.[01] (\d{3})/)?.[1]);
      const head = data.slice(0, data.indexOf("\r\n\r\n"));
      const body = data.slice(head.length + 4);
      // Bodies here are short and sent whole, or chunked once.
      resolve({ status, body: /transfer-encoding: chunked/i.test(head) ? body.replace(/^[0-9a-f]+\r\n/i, "").replace(/\r\n0\r\n\r\n$/, "") : body });
    });
    socket.on("error", reject);
  });
}

/** An IPv4 address of this machine that is not loopback, if it has one: requests from it are "from another machine". */
export function ownNonLoopbackAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return null;
}
