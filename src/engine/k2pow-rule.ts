// The k2pow hashing rule (SPEC §2): what is hashed for a nonce, and when a hash is good enough.

import { bytesFromBig, NONCE_LIMIT } from "../bytes/hex";

/** The RandomX key of every k2pow hash (ffi/k2pow.c fills the cache with it); a dataset file names it. */
export const KEY = "spacemesh-randomx-cache-key";
export const INPUT_SIZE = 48;
export const HASH_SIZE = 32;

/** One k2pow job: the parts of post-service's request, already decoded. */
export interface K2powJob {
  miner: Uint8Array; // 32 bytes
  nonceGroup: number; // 0..255
  challenge: Uint8Array; // 8 bytes
  difficulty: Uint8Array; // 32 bytes, big-endian
}

/** The 48-byte input for `nonce`: nonce (7 bytes LE) ‖ nonce_group ‖ challenge ‖ miner. */
export function hashInput(job: K2powJob, nonce: bigint = 0n): Uint8Array {
  const input = new Uint8Array(INPUT_SIZE);
  input[7] = job.nonceGroup;
  input.set(job.challenge, 8);
  input.set(job.miner, 16);
  setNonce(input, nonce);
  return input;
}

/** Writes `nonce` into the first 7 bytes of an input, little-endian. */
export function setNonce(input: Uint8Array, nonce: bigint): void {
  if (nonce < 0n || nonce >= NONCE_LIMIT) throw new RangeError(`nonce ${nonce} is outside 0..2^56-1`);
  for (let i = 0; i < 7; i++) input[i] = Number((nonce >> BigInt(8 * i)) & 0xffn);
}

/** True when `hash` < `difficulty`, both read as 32-byte big-endian numbers. */
export function meetsDifficulty(hash: Uint8Array, difficulty: Uint8Array): boolean {
  for (let i = 0; i < HASH_SIZE; i++) {
    if (hash[i] !== difficulty[i]) return hash[i]! < difficulty[i]!;
  }
  return false;
}

export function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/** post-service's default k2pow difficulty for an identity of `units` space units: 000dfb23b0979b4b‖0… / units. */
export function postServiceDifficulty(units: number): Uint8Array {
  const difficulty = (0x000dfb23b0979b4bn << 192n) / BigInt(units);
  return bytesFromBig(difficulty, HASH_SIZE);
}

/** About how many hashes a job takes: 2^256 / difficulty. */
export function expectedHashes(difficulty: Uint8Array): number {
  let value = 0;
  for (const b of difficulty) value = value * 256 + b;
  return value === 0 ? Infinity : 2 ** 256 / value;
}
