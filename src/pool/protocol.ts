// The pool protocol between `k2pow pool` and `k2pow join`: JSON text messages over one WebSocket, every message a
// TypeBox schema here. docs/pool-protocol.md describes the same thing for people; change both together, and raise
// PROTOCOL_VERSION whenever a message changes meaning.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { DECIMAL_PATTERN, hexPattern } from "../bytes/hex";

export const PROTOCOL_VERSION = 1;
/** The WebSocket's path on the pool's HTTP port. */
export const POOL_PATH = "/pool/v1";
/** A larger message is refused: the longest real one (work) is about 300 bytes. */
export const MAX_MESSAGE_BYTES = 4096;
/** A connection that has not said hello by then is closed. */
export const HELLO_SECONDS = 10;
/** The pool sends a heartbeat this often; a worker that hears nothing for 4 of them reconnects. */
export const HEARTBEAT_SECONDS = 15;

/** Close codes; the reason text says more. */
export const CLOSE = {
  shutdown: 1001,
  tooBig: 1009,
  malformed: 4000,
  refused: 4001, // wrong token or protocol version: retrying will not help
  invalidWork: 4003, // a nonce or share that does not hash below its target
  silent: 4004, // a range not finished in time
  workerFailed: 4005, // the worker's engine failed on a range
  crowded: 4006, // too many connections waiting for hello, from this address or in all: retry later
  heldOff: 4007, // this address sent a wrong token or invalid work a moment ago: retry after the wait named
} as const;

const hex = (bytes: number) => Type.String({ pattern: hexPattern(bytes) });
/** Nonces and counts are decimal strings: they go up to 2^56, past JSON's exact integers. */
const Decimal = Type.String({ pattern: DECIMAL_PATTERN });
const RangeId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const Hello = Type.Object(
  {
    type: Type.Literal("hello"),
    protocol: Type.Integer({ minimum: 1 }),
    token: Type.String({ maxLength: 512 }),
    name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[\\x21-\\x7e]+$" }),
    version: Type.String({ maxLength: 64 }),
    threads: Type.Integer({ minimum: 1, maximum: 1024 }),
    mode: Type.Union([Type.Literal("fast"), Type.Literal("light")]),
  },
  { additionalProperties: false },
);
/** A nonce of the range whose hash is below the share target. */
export const Share = Type.Object({ type: Type.Literal("share"), range: RangeId, nonce: Decimal }, { additionalProperties: false });
/** A nonce of the range whose hash is below the job's difficulty; ends the worker's range. */
export const Found = Type.Object({ type: Type.Literal("found"), range: RangeId, nonce: Decimal }, { additionalProperties: false });
/** Every nonce of the range was hashed and none is valid. */
export const Done = Type.Object({ type: Type.Literal("done"), range: RangeId }, { additionalProperties: false });
/** The worker could not search the range. */
export const Failed = Type.Object(
  { type: Type.Literal("failed"), range: RangeId, error: Type.String({ maxLength: 500 }) },
  { additionalProperties: false },
);
export const WorkerMessage = Type.Union([Hello, Share, Found, Done, Failed]);

export const Welcome = Type.Object(
  { type: Type.Literal("welcome"), protocol: Type.Integer(), worker: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
export const Work = Type.Object(
  {
    type: Type.Literal("work"),
    range: RangeId,
    job: Type.Object(
      { miner: hex(32), nonceGroup: Type.Integer({ minimum: 0, maximum: 255 }), challenge: hex(8), difficulty: hex(32) },
      { additionalProperties: false },
    ),
    start: Decimal,
    count: Decimal,
    shareTarget: hex(32),
  },
  { additionalProperties: false },
);
/** Abandon the range: its job is finished, cancelled or timed out. */
export const Stop = Type.Object({ type: Type.Literal("stop"), range: RangeId }, { additionalProperties: false });
export const Heartbeat = Type.Object({ type: Type.Literal("heartbeat") }, { additionalProperties: false });
export const PoolMessage = Type.Union([Welcome, Work, Stop, Heartbeat]);

export type Hello = Static<typeof Hello>;
export type WorkerMessage = Static<typeof WorkerMessage>;
export type Work = Static<typeof Work>;
export type PoolMessage = Static<typeof PoolMessage>;

export type Decoded<T> = { ok: true; message: T } | { ok: false; code: number; reason: string };

function decoder<S extends TSchema>(schema: S) {
  const check = TypeCompiler.Compile(schema);
  return (data: string | Buffer | ArrayBuffer | Uint8Array): Decoded<Static<S>> => {
    const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    if (size > MAX_MESSAGE_BYTES) return { ok: false, code: CLOSE.tooBig, reason: `message of ${size} bytes; the limit is ${MAX_MESSAGE_BYTES}` };
    if (typeof data !== "string") return { ok: false, code: CLOSE.malformed, reason: "binary message; the protocol is JSON text" };
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return { ok: false, code: CLOSE.malformed, reason: "message is not JSON" };
    }
    if (!check.Check(value)) {
      const first = check.Errors(value).First();
      const type = typeof value === "object" && value !== null && "type" in value ? String((value as { type: unknown }).type).slice(0, 20) : "?";
      return { ok: false, code: CLOSE.malformed, reason: `bad '${type}' message: ${first?.path || "/"} ${first?.message ?? ""}`.slice(0, 120) };
    }
    return { ok: true, message: value };
  };
}

export const decodeWorkerMessage = decoder(WorkerMessage);
export const decodePoolMessage = decoder(PoolMessage);
