// The command line as scripts use it: `k2pow prove` prints only the nonce on stdout, `k2pow verify` answers with
// its exit status, and a bad argument exits 2 naming it.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { run } from "./support/run";
import { smallestVectors, UNREACHABLE } from "./support/vectors";

const main = join(import.meta.dir, "..", "src", "main.ts");

const k2pow = (...args: string[]) => run([process.execPath, main, ...args]);

const v = smallestVectors.find((x) => x.smallest_valid_nonce === "10")!;
const args = [v.miner, String(v.nonce_group), v.challenge, v.difficulty];

describe("k2pow prove", () => {
  test("prints the nonce alone on stdout: on one thread from 0, the vector's smallest", async () => {
    const { stdout, stderr, code } = await k2pow("prove", ...args, "--randomx-mode", "light", "--cores", "1");
    expect(code).toBe(0);
    expect(stdout).toBe(`${v.smallest_valid_nonce}\n`);
    expect(stderr).toMatch(/found after 11 hashes/);
  });

  test("on all cores prints a nonce that k2pow verify accepts", async () => {
    const { stdout, code } = await k2pow("prove", ...args.map((a) => a.toUpperCase()), "--randomx-mode=light");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[0-9]+\n$/);
    expect((await k2pow("verify", ...args, stdout.trim())).code).toBe(0);
  });
});

describe("k2pow verify", () => {
  test("exit 0 and 'valid' for the smallest valid nonce, exit 1 and 'invalid' below it", async () => {
    const yes = await k2pow("verify", ...args, v.smallest_valid_nonce);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/^valid [0-9a-f]{64}\n$/);
    const no = await k2pow("verify", ...args, "9");
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/^invalid /);
  });

  test("with a difficulty nothing meets, the vector nonce is invalid", async () => {
    expect((await k2pow("verify", v.miner, "170", v.challenge, UNREACHABLE, "10")).code).toBe(1);
  });
});

describe("bad arguments exit 2 and name what is wrong", () => {
  const cases: [string, string[], RegExp][] = [
    ["short miner", ["prove", "abcd", "1", v.challenge, v.difficulty], /miner must be 64 hex digits/],
    ["group 256", ["prove", v.miner, "256", v.challenge, v.difficulty], /nonce_group must be .* got 256/],
    ["bad challenge", ["verify", v.miner, "1", "xyz", v.difficulty, "0"], /challenge must be 16 hex digits/],
    ["zero difficulty", ["prove", v.miner, "1", v.challenge, "0".repeat(64)], /difficulty must not be zero/],
    ["nonce too big", ["verify", ...args, "72057594037927936"], /NONCE must be a decimal number below 2\^56/],
    ["missing argument", ["prove", v.miner, "1", v.challenge], /expected 4 arguments/],
    ["bad --cores", ["prove", ...args, "--cores", "two"], /--cores \(K2POW_CORES\) must be a whole number/],
    ["bad mode", ["prove", ...args, "--randomx-mode", "turbo"], /--randomx-mode \(K2POW_RANDOMX_MODE\) must be fast, light or auto/],
    ["unknown option", ["prove", ...args, "--fast"], /Unknown option '--fast'/],
    ["unknown command", ["mine"], /unknown command 'mine'/],
    ["bad bind address", ["serve", "-b", "localhost"], /--bind-address \(K2POW_BIND_ADDRESS\) must be host:port/],
    ["bad log format", ["--log-format", "xml"], /--log-format \(K2POW_LOG_FORMAT\) must be text or json, got .xml./],
    ["stray argument", ["serve", "extra"], /unexpected argument .extra./],
    ["conflicting pages", ["prove", ...args, "--randomx-large-pages", "--pages", "thp"], /--randomx-large-pages/],
    ["bad queue share", ["pool", "--worker-token", "0123456789abcdef", "--queue-per-address", "0"], /--queue-per-address \(K2POW_QUEUE_PER_ADDRESS\) must be a whole number from 1 to 1000000, got '0'/],
    ["bad work bound", ["pool", "--worker-token", "0123456789abcdef", "--max-expected-hashes", "lots"], /--max-expected-hashes \(K2POW_MAX_EXPECTED_HASHES\) must be .* got 'lots'/],
  ];
  test.each(cases)("%s", async (_name, argv, message) => {
    const { stdout, stderr, code } = await k2pow(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr.split("\n").filter(Boolean).length).toBe(1);
  });
});

test("--version names the librandomx inside, --help lists the commands", async () => {
  const version = await k2pow("--version");
  expect(version.code).toBe(0);
  expect(version.stdout).toMatch(/^k2pow \d+\.\d+\.\d+ \(linux-x64 \(from source\), bun 1\.4\.5, librandomx 1\.1\.10-2\)\n$/);
  const help = await k2pow("--help");
  expect(help.stdout).toMatch(/k2pow prove/);
  expect(help.stdout).toMatch(/k2pow verify/);
});
