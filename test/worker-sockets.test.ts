// The pool's worker connections in-process, in milliseconds: sockets played by the test in front of the real
// admission and the real coordinator (no job runs, so nothing is hashed: its checker is never asked). Broken
// messages, wrong tokens and hold-offs, as the pool's WebSocket server (pool.test.ts) meets them over loopback.
import { afterEach, expect, test } from "bun:test";
import { connectionFrom, workerSockets, type WorkerSocket } from "../src/http/worker-sockets";
import { Admission } from "../src/pool/admission";
import { Coordinator, type PoolEvent } from "../src/pool/coordinator";
import { JobStore } from "../src/pool/job-store";
import type { Checker } from "../src/pool/proof-audit";
import { CLOSE, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, type PoolMessage } from "../src/pool/protocol";
import { ManualClock } from "./support/manual-clock";

const TOKEN = "worker-sockets-test-token-0123456789";
const noChecks: Checker = {
  check: () => Promise.reject(new Error("no job runs in these tests: nothing should be checked")),
  capacity: () => null,
  pending: 0,
};

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

function pool(limits: ConstructorParameters<typeof Admission>[2] = {}) {
  const clock = new ManualClock();
  const coordinator = new Coordinator({ store: new JobStore(":memory:"), checker: noChecks, queueSize: 4, jobTimeoutSeconds: 0, clock });
  const events: PoolEvent[] = [];
  coordinator.subscribe((e) => events.push(e));
  opened.push(coordinator);
  const refused: { remote: string; code: number; reason: string }[] = [];
  const sockets = workerSockets({ workers: coordinator, admission: new Admission(TOKEN, () => clock.now(), limits), onRefused: (r) => refused.push(r) });
  let port = 40000;

  /** A socket from `address`, opened: what the pool sent it, and how it was closed (the close reaches the pool). */
  const connect = (address = "192.0.2.10") => {
    const received: PoolMessage[] = [];
    const socket = {
      data: connectionFrom({ address, port: port++ }),
      received,
      closed: null as { code: number; reason: string } | null,
      send: (text: string): void => void received.push(JSON.parse(text)),
      close(code = 1000, reason = "") {
        if (socket.closed !== null) return;
        socket.closed = { code, reason };
        sockets.close(socket, code, reason);
      },
      say: (message: unknown): void => sockets.message(socket, typeof message === "string" ? message : JSON.stringify(message)),
      hello: (token = TOKEN): void => socket.say({ type: "hello", protocol: PROTOCOL_VERSION, token, name: "w", version: "test", threads: 1, mode: "light" }),
      welcomed: (): boolean => received.some((m) => m.type === "welcome"),
    } satisfies WorkerSocket & Record<string, unknown>;
    opened.push(socket);
    sockets.open(socket);
    return socket;
  };
  return { connect, events, refused, coordinator };
}

test("what a connection sends before its hello closes it with a reason and holds nobody off", () => {
  const { connect, events } = pool();
  const cases: [string, number, RegExp][] = [
    ["not json", CLOSE.malformed, /^message is not JSON$/],
    [JSON.stringify({ type: "done", range: 1 }), CLOSE.malformed, /^the first message must be hello$/],
    [JSON.stringify({ type: "hello", protocol: 1 }), CLOSE.malformed, /^bad 'hello' message: /],
    ["x".repeat(MAX_MESSAGE_BYTES + 1), CLOSE.tooBig, /^message of 4097 bytes; the limit is 4096$/],
  ];
  for (const [message, code, reason] of cases) {
    const stranger = connect();
    stranger.say(message);
    expect(stranger.closed?.code).toBe(code);
    expect(stranger.closed?.reason).toMatch(reason);
  }
  // A neighbour at the same address (a NAT, an IPv6 /64) joins at once.
  const honest = connect();
  honest.hello();
  expect(honest.welcomed()).toBe(true);
  expect(events.filter((e) => e.type === "dropped")).toEqual([]);
});

test("an admitted worker's broken message drops it and holds its address off; other addresses join at once", () => {
  const { connect, events, coordinator } = pool();
  const worker = connect("192.0.2.20");
  worker.hello();
  expect(worker.welcomed()).toBe(true);
  worker.say("x".repeat(MAX_MESSAGE_BYTES + 1));
  expect(worker.closed).toEqual({ code: CLOSE.tooBig, reason: "message of 4097 bytes; the limit is 4096" });
  expect(events.filter((e) => e.type === "dropped")).toMatchObject([{ cause: "protocol", reason: "message of 4097 bytes; the limit is 4096" }]);
  // The pool let it go: its close is not heard again as the worker leaving.
  expect(events.filter((e) => e.type === "left")).toEqual([]);
  expect(coordinator.status().workers).toEqual([]);

  const again = connect("192.0.2.20");
  again.hello();
  expect(again.closed).toEqual({ code: CLOSE.heldOff, reason: "a worker from this address sent false work or broken messages; wait 1 s" });
  const elsewhere = connect("192.0.2.21");
  elsewhere.hello();
  expect(elsewhere.welcomed()).toBe(true);
});

test("a worker dropped by the pool for a broken protocol is held off; one that just leaves is not, and frees its place", () => {
  const { connect, events } = pool({ maxWorkersPerAddress: 1 });
  const first = connect("192.0.2.30");
  first.hello();
  expect(first.welcomed()).toBe(true);
  const second = connect("192.0.2.30");
  second.hello();
  expect(second.closed?.code).toBe(CLOSE.crowded);
  first.close(1000, "bye");
  expect(events.filter((e) => e.type === "left")).toMatchObject([{ reason: "connection closed (1000: bye)" }]);
  const third = connect("192.0.2.30");
  third.hello();
  expect(third.welcomed()).toBe(true);
  // A second hello is a broken protocol: dropped with the reason, and the address held off.
  third.hello();
  expect(third.closed).toEqual({ code: CLOSE.malformed, reason: "hello sent twice" });
  const fourth = connect("192.0.2.30");
  fourth.hello();
  expect(fourth.closed?.code).toBe(CLOSE.heldOff);
});

test("a wrong token is refused and heard, never with the token; that address is held off, the right token elsewhere is not", () => {
  const { connect, refused } = pool();
  const guesser = connect("192.0.2.40");
  guesser.hello("guess-guess-guess-guess");
  expect(guesser.closed).toEqual({ code: CLOSE.refused, reason: "wrong worker token" });
  const early = connect("192.0.2.40");
  early.hello(TOKEN);
  expect(early.closed?.code).toBe(CLOSE.heldOff);
  expect(early.closed?.reason).toMatch(/^too many wrong tokens from this address; wait \d+ s$/);
  expect(refused.map((r) => r.code)).toEqual([CLOSE.refused, CLOSE.heldOff]);
  expect(JSON.stringify(refused)).not.toContain("guess-guess");
  const owner = connect("192.0.2.41");
  owner.hello(TOKEN);
  expect(owner.welcomed()).toBe(true);
});

test("connections a neighbour leaves silent cannot keep an honest worker out: the oldest waiting makes way", () => {
  const { connect, refused } = pool({ maxPendingPerAddress: 8, maxPending: 10 });
  const silent = Array.from({ length: 8 }, () => connect("192.0.2.50"));
  // The same address (a NAT): the honest worker's connection takes the oldest silent one's place, and it joins.
  const honest = connect("192.0.2.50");
  expect(silent[0]!.closed).toEqual({ code: CLOSE.crowded, reason: "a newer connection took this one's place while it had not said hello" });
  expect(silent.slice(1).every((s) => s.closed === null)).toBe(true);
  honest.hello();
  expect(honest.welcomed()).toBe(true);
  // Silent connections from other addresses fill the pool's own cap (10): the oldest waiting anywhere makes way.
  const elsewhere = Array.from({ length: 5 }, (_, i) => connect(`198.51.100.${i + 1}`));
  expect(elsewhere.every((s) => s.closed === null)).toBe(true);
  expect(silent.map((s) => s.closed !== null)).toEqual([true, true, true, false, false, false, false, false]);
  const other = connect("203.0.113.7");
  other.hello();
  expect(other.welcomed()).toBe(true);
  expect(silent[3]!.closed?.code).toBe(CLOSE.crowded);
  expect(refused.map((r) => r.code)).toEqual(Array(4).fill(CLOSE.crowded));
});
