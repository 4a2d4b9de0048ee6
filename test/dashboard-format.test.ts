// How the dashboard writes numbers for people (src/ui/browser/format.ts, which uses no DOM): units that scale,
// durations in the largest units that matter, digits grouped, and a dash for what is not known yet.
import { expect, test } from "bun:test";
import { formatBytes, formatCount, formatDuration, formatEta, formatPercent, formatRate, shortKey } from "../src/ui/browser/format";

const NBSP = "\u00a0";
const THIN = "\u202f";

test("hash rates scale from H/s to kH/s and MH/s with three significant digits", () => {
  expect(formatRate(46.62)).toBe(`46.6${NBSP}H/s`);
  expect(formatRate(0)).toBe(`0${NBSP}H/s`);
  expect(formatRate(999.5)).toBe(`1${NBSP}kH/s`);
  expect(formatRate(1234.5)).toBe(`1.23${NBSP}kH/s`);
  expect(formatRate(4_500_000)).toBe(`4.5${NBSP}MH/s`);
  expect(formatRate(null)).toBe("—");
  expect(formatRate(NaN)).toBe("—");
});

test("durations use the two largest units that matter", () => {
  expect(formatDuration(8.14)).toBe(`8.1${NBSP}s`);
  expect(formatDuration(42)).toBe(`42${NBSP}s`);
  expect(formatDuration(192)).toBe(`3${NBSP}min 12${NBSP}s`);
  expect(formatDuration(7500)).toBe(`2${NBSP}h 05${NBSP}min`);
  expect(formatDuration(273_600)).toBe(`3${NBSP}d 04${NBSP}h`);
  expect(formatDuration(null)).toBe("—");
  expect(formatDuration(-1)).toBe("—");
});

test("counts group their digits, past 2^53 too (nonces and searched counts arrive as decimal strings)", () => {
  expect(formatCount(999)).toBe("999");
  expect(formatCount(1_000_000_000)).toBe(`1${THIN}000${THIN}000${THIN}000`);
  expect(formatCount("36028797018963969")).toBe(`36${THIN}028${THIN}797${THIN}018${THIN}963${THIN}969`);
  expect(formatCount(1234.6)).toBe(`1${THIN}235`);
  expect(formatCount(null)).toBe("—");
});

test("bytes in binary units, percentages that never claim done early, jobs by their miner's first bytes and group", () => {
  expect(formatBytes(512)).toBe(`512${NBSP}B`);
  expect(formatBytes(536_870_912)).toBe(`512${NBSP}MiB`);
  expect(formatBytes(2_415_919_104)).toBe(`2.25${NBSP}GiB`);
  expect(formatPercent(0.0042)).toBe("0.4%");
  expect(formatPercent(0.4242)).toBe("42%");
  expect(formatPercent(0.999)).toBe("99%");
  expect(shortKey(`${"3fa2c1d0".repeat(8)}/7/${"ab".repeat(8)}/${"ff".repeat(32)}`)).toBe("3fa2c1d0/7");
});

test("a job past its expected hashes says so, instead of an ETA of 0 s", () => {
  expect(formatEta(0, 1500, 1000)).toBe("past its expected hashes (1.5×): luck decides when");
  expect(formatEta(0, 1000, 1000)).toBe("past its expected hashes (1.0×): luck decides when");
  expect(formatEta(null, 10, 1000)).toBe("estimating…");
  expect(formatEta(192, 500, 1000)).toMatch(/^3\smin\s12\ss\s\(about\s\d\d:\d\d\)$/);
});
