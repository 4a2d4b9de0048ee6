// The byte layout and comparison of SPEC §2, checked by hand-built expectations rather than by the code itself.
import { expect, test } from "bun:test";
import { NONCE_LIMIT } from "../src/bytes/hex";
import { expectedHashes, hashInput, meetsDifficulty } from "../src/engine/k2pow-rule";
import { fromHex, toHex } from "./support/vectors";

const job = {
  miner: fromHex("187c07e4d5636e9bc3c400b27244b8cd3a97f11ae651070506a68a02f0e161af"),
  nonceGroup: 0xab,
  challenge: fromHex("7ec27378a661c935"),
  difficulty: fromHex("ff".repeat(32)),
};

test("input is nonce (7 bytes little-endian) | group | challenge | miner", () => {
  expect(toHex(hashInput(job, 0x0102030405060708n & (NONCE_LIMIT - 1n)))).toBe(
    "08070605040302" + "ab" + "7ec27378a661c935" + "187c07e4d5636e9bc3c400b27244b8cd3a97f11ae651070506a68a02f0e161af",
  );
  expect(toHex(hashInput(job, NONCE_LIMIT - 1n)).slice(0, 14)).toBe("ffffffffffffff");
  expect(() => hashInput(job, NONCE_LIMIT)).toThrow(RangeError);
  expect(() => hashInput(job, -1n)).toThrow(RangeError);
});

test("a hash is valid only when strictly below the difficulty, read big-endian", () => {
  const d = fromHex("10" + "00".repeat(31));
  expect(meetsDifficulty(fromHex("0f" + "ff".repeat(31)), d)).toBe(true);
  expect(meetsDifficulty(d, d)).toBe(false);
  expect(meetsDifficulty(fromHex("10" + "00".repeat(30) + "01"), d)).toBe(false);
  // Little-endian reading would call this one smaller.
  expect(meetsDifficulty(fromHex("00".repeat(31) + "11"), fromHex("01" + "00".repeat(31)))).toBe(true);
  expect(meetsDifficulty(fromHex("01" + "00".repeat(31)), fromHex("00".repeat(31) + "11"))).toBe(false);
});

test("expected hashes is 2^256 / difficulty", () => {
  expect(expectedHashes(fromHex("0f" + "ff".repeat(31)))).toBeCloseTo(16, 6);
  expect(expectedHashes(new Uint8Array(32))).toBe(Infinity);
  // post-service's default difficulty for 1 SU: about 4,700 hashes per nonce group (SPEC §2).
  const oneSu = expectedHashes(fromHex("000dfb23b0979b4b" + "00".repeat(24)));
  expect(Math.round(oneSu / 100)).toBe(47);
});
