// A WebSocket client that connects from a chosen loopback address (127.0.0.2, …), so that a test can act as
// another machine towards the pool's per-address rules; Bun's WebSocket cannot pick its source address. Just
// enough of RFC 6455: the upgrade, masked text frames out, and the server's text and close frames in.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";

export interface RawSocket {
  /** Resolves once the pool answered 101; rejects on any other answer. */
  opened: Promise<void>;
  /** The pool's close code and reason, or 1006 when the connection ended without a close frame. */
  closed: Promise<{ code: number; reason: string }>;
  sendText(text: string): void;
  end(): void;
}

export function rawSocket(port: number, path: string, localAddress: string, onText?: (text: string) => void): RawSocket {
  const socket = connect({ host: "127.0.0.1", port, localAddress });
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  let settleOpen: { resolve: () => void; reject: (e: Error) => void };
  const opened = new Promise<void>((resolve, reject) => (settleOpen = { resolve, reject }));
  let settleClosed: (c: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (settleClosed = resolve));

  socket.on("connect", () => {
    const key = randomBytes(16).toString("base64");
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  });
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const status = buffer.subarray(0, end).toString().split(" ")[1];
      if (status !== "101") return settleOpen.reject(new Error(`upgrade answered ${status}`));
      upgraded = true;
      buffer = buffer.subarray(end + 4);
      settleOpen.resolve();
    }
    for (;;) {
      if (buffer.length < 2) return;
      const opcode = buffer[0]! & 0x0f;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      }
      if (buffer.length < offset + length) return;
      const payload = buffer.subarray(offset, offset + length);
      buffer = buffer.subarray(offset + length);
      if (opcode === 1) onText?.(payload.toString());
      if (opcode === 8) settleClosed({ code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString() });
    }
  });
  socket.on("error", (err) => settleOpen.reject(err));
  socket.on("close", () => {
    settleOpen.reject(new Error("connection closed before the upgrade"));
    settleClosed({ code: 1006, reason: "" });
  });

  return {
    opened,
    closed,
    sendText(text) {
      const payload = Buffer.from(text);
      if (payload.length > 0xffff) throw new Error("raw-ws sends frames up to 64 KiB");
      const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
      const mask = randomBytes(4);
      const masked = payload.map((byte, i) => byte ^ mask[i % 4]!);
      socket.write(Buffer.concat([head, mask, masked]));
    },
    end: () => socket.destroy(),
  };
}
