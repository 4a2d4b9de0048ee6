// The reference vectors in ../shared/vectors/k2pow.json (computed with the reference RandomX library).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { toHex } from "../../src/bytes/hex";
import type { K2powJob } from "../../src/engine/k2pow-rule";

const path = process.env.K2POW_VECTORS ?? join(import.meta.dir, "..", "..", "..", "shared", "vectors", "k2pow.json");
if (!existsSync(path)) throw new Error(`test vectors not found at ${path}; set K2POW_VECTORS`);

interface HashVector {
  nonce: string;
  nonce_group: number;
  challenge: string;
  miner: string;
  hash: string;
}
interface SmallestVector {
  nonce_group: number;
  challenge: string;
  difficulty: string;
  miner: string;
  smallest_valid_nonce: string;
}

const vectors = JSON.parse(readFileSync(path, "utf8")) as { hashes: HashVector[]; smallest_valid_nonce: SmallestVector[] };

export const hashVectors = vectors.hashes;
export const smallestVectors = vectors.smallest_valid_nonce;

/** Hex of any length, as the vectors file holds it. */
export const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
export { toHex };

export function jobOf(v: { miner: string; nonce_group: number; challenge: string }, difficulty: string): K2powJob {
  return { miner: fromHex(v.miner), nonceGroup: v.nonce_group, challenge: fromHex(v.challenge), difficulty: fromHex(difficulty) };
}

/** A difficulty of 1: no hash will ever be below it in practice, so a search runs until stopped. */
export const UNREACHABLE = "00".repeat(31) + "01";
/** About one hash in 16 is below it. */
export const EASY = "0f" + "ff".repeat(31);
