// Parsing a job's four parts: every malformed part named, hex in either case naming the same job.
import { expect, test } from "bun:test";
import { parseJob, type JobParams } from "../src/jobs/job-params";

const good: JobParams = {
  miner: "187c07e4d5636e9bc3c400b27244b8cd3a97f11ae651070506a68a02f0e161af",
  nonce_group: "7",
  challenge: "7ec27378a661c935",
  difficulty: "000dfb23b0979b4b" + "0".repeat(48),
};

test("a good job decodes to bytes, with a key that ignores hex case", () => {
  const lower = parseJob(good);
  const upper = parseJob({ ...good, miner: good.miner.toUpperCase(), challenge: good.challenge.toUpperCase() });
  if (!lower.ok || !upper.ok) throw new Error("expected both to parse");
  expect(lower.key).toBe(upper.key);
  expect(lower.job.nonceGroup).toBe(7);
  expect(lower.job.miner.length).toBe(32);
  expect(lower.job.challenge[0]).toBe(0x7e);
  expect(parseJob({ ...good, nonce_group: "007" })).toMatchObject({ ok: true, key: lower.key });
});

const bad: [string, Partial<JobParams>, string, RegExp][] = [
  ["short miner", { miner: "ab" }, "miner", /64 hex digits/],
  ["non-hex miner", { miner: "zz".repeat(32) }, "miner", /64 hex digits/],
  ["0x miner", { miner: "0x" + "a".repeat(62) }, "miner", /no 0x/],
  ["group 256", { nonce_group: "256" }, "nonce_group", /0 to 255, got 256/],
  ["negative group", { nonce_group: "-1" }, "nonce_group", /0 to 255/],
  ["group 1.5", { nonce_group: "1.5" }, "nonce_group", /0 to 255/],
  ["empty group", { nonce_group: "" }, "nonce_group", /0 to 255/],
  ["long challenge", { challenge: "00".repeat(9) }, "challenge", /16 hex digits/],
  ["odd difficulty", { difficulty: "f".repeat(63) }, "difficulty", /64 hex digits/],
  ["zero difficulty", { difficulty: "0".repeat(64) }, "difficulty", /never finish/],
];

test.each(bad)("%s is refused, naming the part", (_name, change, part, message) => {
  const result = parseJob({ ...good, ...change });
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.part).toBe(part as never);
  expect(result.message).toMatch(message);
  expect(result.message.startsWith(part)).toBe(true);
});

test("a huge part is quoted shortened in the message", () => {
  const result = parseJob({ ...good, miner: "a".repeat(10_000) });
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.message.length).toBeLessThan(200);
});
