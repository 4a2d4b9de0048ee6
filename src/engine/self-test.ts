// One hash of a known input, compared with the value the reference RandomX library gives for it (it is the first
// of the project's hash vectors). Run on every VM before the engine says "ready", so a broken JIT, CPU or library
// is a clear error at start instead of wrong nonces later.
import { fromHex, toHex } from "../bytes/hex";
import { hashInput } from "./k2pow-rule";

export const KNOWN_INPUT = hashInput(
  {
    miner: fromHex("187c07e4d5636e9bc3c400b27244b8cd3a97f11ae651070506a68a02f0e161af", 32),
    nonceGroup: 0,
    challenge: fromHex("7ec27378a661c935", 8),
    difficulty: new Uint8Array(32),
  },
  1n,
);
export const KNOWN_HASH = "6c70402acd916c0ea6c3c9e1b27c11988e75a051a642c5d079540ce597783014";

/** Null when `hash` is the known input's hash, else the message that says what is wrong and what to try. */
export function selfTestFailure(where: string, hash: Uint8Array): string | null {
  const got = toHex(hash);
  if (got === KNOWN_HASH) return null;
  return (
    `self-test failed on ${where}: RandomX hashed a known input to ${got.slice(0, 16)}…, the reference gives ` +
    `${KNOWN_HASH.slice(0, 16)}…; this CPU, its JIT or librandomx is broken, and no nonce it found could be trusted`
  );
}
