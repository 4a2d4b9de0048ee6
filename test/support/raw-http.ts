// One HTTP/1.1 request written byte for byte (fetch cannot send a chosen Host or a fragment in the target).
import { connect } from "node:net";

export function rawGet(
  base: string,
  target: string,
  headers: Record<string, string>,
  version = "1.1",
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const lines = [`GET ${target} HTTP/${version}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "Connection: close", "", ""];
      socket.write(lines.join("\r\n"));
    });
    let data = "";
    socket.on("data", (chunk) => (data += chunk.toString()));
    socket.on("end", () => {
      const status = Number(data.match(/^HTTP\/1\.[01] (\d{3})/)?.[1]);
      resolve({ status, body: data.slice(data.indexOf("\r\n\r\n") + 4) });
    });
    socket.on("error", reject);
  });
}
