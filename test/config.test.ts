// Every command's settings through the one configuration module: a flag and its K2POW_* variable give the same
// config, the flag wins over the variable, a bad value is one message naming the flag, the variable and what it
// takes, and a flag shared by several commands is checked the same way in each.
import { describe, expect, test } from "bun:test";
import { join as joinPath } from "node:path";
import { Type } from "@sinclair/typebox";
import { benchConfig } from "../src/cli/bench";
import { command, field, optionsHelp, readCommand, switchField, type Env } from "../src/cli/config";
import { defaultDatasetFile } from "../src/cli/engine-options";
import { joinConfig, joinHelp } from "../src/cli/join";
import { poolConfig, poolHelp } from "../src/cli/pool";
import { probeConfig } from "../src/cli/probe";
import { proveConfig } from "../src/cli/prove";
import { serveConfig, serveHelp } from "../src/cli/serve";
import { verifyConfig } from "../src/cli/verify";
import { run } from "./support/run";

const TOKEN = "0123456789abcdef";
const OTHER_TOKEN = "fedcba9876543210";
const JOB = ["11".repeat(32), "1", "22".repeat(8), "0f" + "ff".repeat(31)];

interface Subject {
  read: (argv: string[], env: Env) => unknown;
  /** What every reading of the command needs (its arguments, a required token). */
  argv: string[];
  env: Env;
  /** Per flag, two valid values unlike each other and unlike the default; true for a switch. */
  samples: Record<string, Sample>;
}

type Sample = readonly [string, string] | true;
const MODE_AND_PAGES: Record<string, Sample> = { "randomx-mode": ["fast", "light"], pages: ["thp", "plain"], "randomx-large-pages": true };
const DATASET_FILE_SAMPLES: Record<string, Sample> = { "dataset-file": ["/var/cache/k2pow/randomx-dataset.bin", "none"] };
const ENGINE_SAMPLES: Record<string, Sample> = { ...MODE_AND_PAGES, cores: ["3", "1"], ...DATASET_FILE_SAMPLES };
const LOG_SAMPLES: Record<string, Sample> = { "log-level": ["warn", "debug"], "log-format": ["json", "text"] };

const subjects: Record<string, Subject> = {
  serve: {
    read: serveConfig,
    argv: [],
    env: {},
    samples: {
      "bind-address": ["127.0.0.1:4000", "[::1]:5000"],
      ...ENGINE_SAMPLES,
      auth: ["u:p", "v:q"],
      ...LOG_SAMPLES,
      "progress-interval": ["5", "0.5"],
      "busy-status": ["503", "429"],
      "max-expected-hashes": ["5e9", "100"],
      "job-timeout": ["600", "0"],
    },
  },
  pool: {
    read: poolConfig,
    argv: [],
    env: { K2POW_WORKER_TOKEN: TOKEN },
    samples: {
      "bind-address": ["127.0.0.1:4000", "[::1]:5000"],
      "worker-token": [OTHER_TOKEN, "x".repeat(32)],
      db: [":memory:", "/var/lib/k2pow/pool.db"],
      "queue-size": ["10", "20"],
      "queue-per-address": ["5", "6"],
      "max-workers": ["10000", "20000"],
      "max-expected-hashes": ["5e9", "100"],
      "job-timeout": ["600", "0"],
      auth: ["u:p", "v:q"],
      ...LOG_SAMPLES,
      "progress-interval": ["5", "0.5"],
      "check-mode": ["light", "fast"],
      ...DATASET_FILE_SAMPLES,
    },
  },
  join: {
    read: joinConfig,
    argv: ["https://pool.example:3000"],
    env: { K2POW_WORKER_TOKEN: TOKEN },
    samples: {
      "worker-token": [OTHER_TOKEN, "x".repeat(32)],
      name: ["box-1", "box-2"],
      ca: ["/etc/k2pow/ca.pem", "/tmp/other-ca.pem"],
      ...ENGINE_SAMPLES,
      ...LOG_SAMPLES,
    },
  },
  probe: {
    read: probeConfig,
    argv: ["https://127.0.0.1:3000"],
    // Fixed, not random, so that two readings can be compared.
    env: { K2POW_MINER: "33".repeat(32), K2POW_CHALLENGE: "44".repeat(8) },
    samples: {
      groups: ["3", "256"],
      parallelism: ["2", "3"],
      backoff: ["0.5", "1"],
      timeout: ["60", "30"],
      miner: ["55".repeat(32), "66".repeat(32)],
      challenge: ["77".repeat(8), "88".repeat(8)],
      difficulty: ["00ff" + "ff".repeat(30), "000f" + "ff".repeat(30)],
      units: ["1000", "2000"],
      ca: ["/etc/k2pow/ca.pem", "/tmp/other-ca.pem"],
    },
  },
  bench: { read: benchConfig, argv: [], env: {}, samples: { ...ENGINE_SAMPLES, units: ["10", "20"], seconds: ["1", "2"], json: true } },
  prove: { read: proveConfig, argv: JOB, env: {}, samples: ENGINE_SAMPLES },
};

const variable = (flag: string) => `K2POW_${flag.toUpperCase().replaceAll("-", "_")}`;

describe.each(Object.entries(subjects))("%s", (_name, { read, argv, env, samples }) => {
  const cases = Object.entries(samples);
  const flagged = (flag: string, sample: Sample, i: 0 | 1) => (sample === true ? [`--${flag}`] : [`--${flag}`, sample[i]]);
  const inEnv = (flag: string, sample: Sample, i: 0 | 1) => ({ [variable(flag)]: sample === true ? ["1", "0"][i]! : sample[i] });

  test.each(cases)("--%s and its variable give the same config, not the default one", (flag, sample) => {
    const byFlag = read([...argv, ...flagged(flag, sample, 0)], env);
    expect(read(argv, { ...env, ...inEnv(flag, sample, 0) })).toEqual(byFlag);
    expect(byFlag).not.toEqual(read(argv, env));
  });

  test.each(cases)("--%s wins over its variable", (flag, sample) => {
    const byFlag = read([...argv, ...flagged(flag, sample, 0)], env);
    expect(read([...argv, ...flagged(flag, sample, 0)], { ...env, ...inEnv(flag, sample, 1) })).toEqual(byFlag);
    expect(read(argv, { ...env, ...inEnv(flag, sample, 1) })).not.toEqual(byFlag);
  });

  test("-h and --help ask for help, whatever else is missing", () => {
    expect(read(["--help"], {})).toBe("help");
    expect(read(["-h"], {})).toBe("help");
  });
});

describe("--dataset-file's default: where a user expects a cache", () => {
  test.each([
    ["systemd's CacheDirectory= (the first, when several)", { CACHE_DIRECTORY: "/var/cache/k2pow:/var/cache/other", HOME: "/home/u" }, "/var/cache/k2pow/randomx-dataset.bin"],
    ["$XDG_CACHE_HOME", { XDG_CACHE_HOME: "/data/cache", HOME: "/home/u" }, "/data/cache/k2pow/randomx-dataset.bin"],
    ["~/.cache (a relative $XDG_CACHE_HOME is ignored, as the XDG spec says)", { XDG_CACHE_HOME: "cache", HOME: "/home/u" }, "/home/u/.cache/k2pow/randomx-dataset.bin"],
    ["~/.cache", { HOME: "/home/u" }, "/home/u/.cache/k2pow/randomx-dataset.bin"],
  ] as const)("%s", (_, env, path) => expect(defaultDatasetFile(env)).toBe(path));

  test("Windows: %LOCALAPPDATA%\\k2pow, where Windows programs keep such files", () => {
    const env = { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local", USERPROFILE: "C:\\Users\\u" };
    expect(defaultDatasetFile(env, "win32")).toBe("C:\\Users\\u\\AppData\\Local\\k2pow\\randomx-dataset.bin");
  });

  test("none turns it off; a path is taken as given", () => {
    expect(serveConfig(["--dataset-file", "none"], {})).toMatchObject({ engine: { datasetFile: null } });
    expect(poolConfig([], { K2POW_WORKER_TOKEN: TOKEN, K2POW_DATASET_FILE: "/srv/d.bin" })).toMatchObject({ datasetFile: "/srv/d.bin" });
    expect(() => serveConfig(["--dataset-file", ""], {})).toThrow(/^--dataset-file \(K2POW_DATASET_FILE\) must be a file path, or none, got ''$/);
  });
});

/** Each command read with what it needs besides the flags under test (its arguments, a worker token). */
const commands: Record<string, (argv: string[], env: Env) => unknown> = {
  serve: serveConfig,
  pool: (argv, env) => poolConfig(argv, { K2POW_WORKER_TOKEN: TOKEN, ...env }),
  join: (argv, env) => joinConfig(["https://p:1", ...argv], { K2POW_WORKER_TOKEN: TOKEN, ...env }),
  probe: (argv, env) => probeConfig(["https://p:1", ...argv], env),
  bench: benchConfig,
  prove: (argv, env) => proveConfig([...JOB, ...argv], env),
  verify: (argv, env) => verifyConfig([...JOB, "10", ...argv], env),
};

describe("a bad value names the flag, the variable and what it takes", () => {
  const cases: [string, string[], Env, RegExp][] = [
    ["serve", ["--busy-status", "500"], {}, /^--busy-status \(K2POW_BUSY_STATUS\) must be 429 or 503, got '500'$/],
    ["serve", ["-b", "[::1]:99999"], {}, /^--bind-address \(K2POW_BIND_ADDRESS\) must be host:port with a port from 0 to 65535, got '99999'$/],
    ["pool", [], { K2POW_QUEUE_SIZE: "0" }, /^--queue-size \(K2POW_QUEUE_SIZE\) must be a whole number from 1 to 1000000, got '0'$/],
    ["pool", ["--max-workers", "0"], {}, /^--max-workers \(K2POW_MAX_WORKERS\) must be a whole number from 1 to 1000000, got '0'$/],
    ["pool", ["--check-mode", "turbo"], {}, /^--check-mode \(K2POW_CHECK_MODE\) must be auto, fast or light, got 'turbo'$/],
    ["join", [], { K2POW_LOG_LEVEL: "loud" }, /^--log-level \(K2POW_LOG_LEVEL\) must be error, warn, info, debug, got 'loud'$/],
    ["join", ["--name", "my box"], {}, /^--name \(K2POW_NAME\) must be 1 to 64 printable characters without spaces, got 'my box'$/],
    ["probe", [], { K2POW_GROUPS: "300" }, /^--groups \(K2POW_GROUPS\) must be a whole number from 1 to 256 \(nonce groups are 0\.\.255\), got '300'$/],
    ["probe", ["--backoff", "0"], {}, /^--backoff \(K2POW_BACKOFF\) must be a positive number, got '0'$/],
    ["bench", ["--seconds", "601"], {}, /^--seconds \(K2POW_SECONDS\) must be a number from 0 to 600, got '601'$/],
    ["bench", [], { K2POW_UNITS: "1.5" }, /^--units \(K2POW_UNITS\) must be a whole number of space units, got '1\.5'$/],
    ["prove", [], { K2POW_RANDOMX_MODE: "turbo" }, /^--randomx-mode \(K2POW_RANDOMX_MODE\) must be fast, light or auto, got 'turbo'$/],
    ["prove", ["--cores", "1e2"], {}, /^--cores \(K2POW_CORES\) must be a whole number from 0 \(sized from the CPU's caches\) to 1024, got '1e2'$/],
    ["prove", [], { K2POW_RANDOMX_LARGE_PAGES: "on" }, /^K2POW_RANDOMX_LARGE_PAGES must be 1, true, 0 or false, got 'on'$/],
  ];
  test.each(cases)("%s %j %j", (name, argv, env, message) => {
    expect(() => commands[name]!(argv, env)).toThrow(message);
  });

  test("a secret is described, never shown", () => {
    expect(() => poolConfig([], { K2POW_WORKER_TOKEN: "hunter2" })).toThrow(
      /^--worker-token \(K2POW_WORKER_TOKEN\) must be 16 to 512 characters \(try: openssl rand -hex 16\), got one of 7 characters$/,
    );
    expect(() => joinConfig(["https://p:1", "--worker-token", "hunter2"], {})).toThrow(/got one of 7 characters$/);
    expect(() => serveConfig([], { K2POW_AUTH: "user:" })).toThrow(/^--auth \(K2POW_AUTH\) must be USER:PASSWORD, got an empty user or password$/);
  });

  test("a required flag says so, with its variable", () => {
    expect(() => poolConfig([], {})).toThrow(/^--worker-token \(or K2POW_WORKER_TOKEN\) is required: workers must present it$/);
    expect(() => joinConfig(["https://p:1"], {})).toThrow(/^--worker-token \(or K2POW_WORKER_TOKEN\) is required/);
  });
});

describe("a flag that several commands take is checked the same way in each", () => {
  const shared: [string, string, string[]][] = [
    ["cores", "many", ["serve", "join", "bench", "prove"]],
    ["randomx-mode", "turbo", ["serve", "join", "bench", "prove"]],
    ["log-level", "loud", ["serve", "pool", "join"]],
    ["log-format", "xml", ["serve", "pool", "join"]],
    ["bind-address", "localhost", ["serve", "pool"]],
    ["units", "0", ["probe", "bench"]],
    ["ca", "", ["join", "probe"]],
  ];
  test.each(shared)("--%s %p", (flag, bad, names) => {
    const messages = names.flatMap((name) => [
      () => commands[name]!([`--${flag}`, bad], {}),
      () => commands[name]!([], { [variable(flag)]: bad }),
    ]).map((read) => {
      try {
        read();
        return "accepted";
      } catch (err) {
        return (err as Error).message;
      }
    });
    const first = messages[0]!;
    expect(first).toMatch(new RegExp(`^--${flag} \\(${variable(flag)}\\) must be `));
    expect(new Set(messages)).toEqual(new Set([first]));
  });
});

describe("join", () => {
  const url = "http://10.0.0.1:3000";

  test("reads the engine's and the log's variables (K2POW_CORES, K2POW_LOG_LEVEL, …)", () => {
    const env = { K2POW_WORKER_TOKEN: TOKEN, K2POW_CORES: "2", K2POW_RANDOMX_MODE: "light", K2POW_PAGES: "thp", K2POW_LOG_LEVEL: "debug", K2POW_LOG_FORMAT: "json" };
    expect(joinConfig([url], env)).toMatchObject({ logLevel: "debug", logFormat: "json", engine: { mode: "light", threads: 2, pages: "thp" } });
    expect(joinConfig([url], { K2POW_WORKER_TOKEN: TOKEN })).toMatchObject({ logLevel: "info", logFormat: "text", engine: { mode: "auto", threads: 0, pages: "auto" } });
  });

  test("--insecure has no variable: clear text to the internet is asked for each time", () => {
    expect(joinConfig([url], { K2POW_WORKER_TOKEN: TOKEN, K2POW_INSECURE: "1" })).toMatchObject({ insecure: false });
    expect(joinConfig([url, "--insecure"], { K2POW_WORKER_TOKEN: TOKEN })).toMatchObject({ insecure: true });
    expect(joinHelp).toMatch(/^ {2}--insecure {13}\S.*[^_A-Z]$/m);
    expect(joinHelp).not.toMatch(/K2POW_INSECURE/);
  });

  test("K2POW_CA is for an https:// pool only, as --ca is", () => {
    expect(() => joinConfig([url], { K2POW_WORKER_TOKEN: TOKEN, K2POW_CA: "/etc/ca.pem" })).toThrow(/^--ca \(K2POW_CA\) is for an https:\/\/ pool; http:\/\/10\.0\.0\.1:3000 is not$/);
  });
});

test("verify takes no engine options: its one hash is the same in either mode, so it always uses light mode's hasher", () => {
  expect(verifyConfig([...JOB, "10"], { K2POW_CORES: "8", K2POW_RANDOMX_MODE: "fast" })).toMatchObject({ nonce: 10n });
  expect(() => verifyConfig([...JOB, "10", "--randomx-mode", "fast"], {})).toThrow(/randomx-mode/);
});

describe("the page flags go as a pair", () => {
  test("either one on the command line outranks both variables", () => {
    expect(serveConfig(["--pages", "thp"], { K2POW_RANDOMX_LARGE_PAGES: "1" })).toMatchObject({ engine: { pages: "thp" } });
    expect(serveConfig(["--randomx-large-pages"], { K2POW_PAGES: "plain" })).toMatchObject({ engine: { pages: "hugetlb" } });
  });

  test("both from variables, or both on the command line, must agree", () => {
    expect(() => serveConfig([], { K2POW_PAGES: "thp", K2POW_RANDOMX_LARGE_PAGES: "true" })).toThrow(/^--randomx-large-pages asks for hugetlb pages, but --pages says thp$/);
    expect(serveConfig([], { K2POW_PAGES: "hugetlb", K2POW_RANDOMX_LARGE_PAGES: "1" })).toMatchObject({ engine: { pages: "hugetlb" } });
    expect(serveConfig([], { K2POW_RANDOMX_LARGE_PAGES: "false" })).toMatchObject({ engine: { pages: "auto" } });
  });
});

describe("the module itself", () => {
  const sample = command({
    usage: "sample",
    about: "",
    fields: {
      size: field({ flag: "size", short: "s", arg: "N", read: Number, schema: Type.Integer({ minimum: 1 }), default: 1, takes: "a whole number", help: "how many" }),
      label: field({ flag: "label", arg: "TEXT", schema: Type.String({ pattern: "^[a-z]+$" }), default: () => "Computed Default", takes: "lower-case letters", help: "a label" }),
      loud: switchField({ flag: "loud", help: "say it louder; this line is long enough that help has to wrap it onto a second line" }),
    },
  });

  test("a default computed at run time is checked like a given value", () => {
    expect(() => readCommand(sample, [], {})).toThrow(/^--label \(K2POW_LABEL\) must be lower-case letters, got 'Computed Default'$/);
    expect(readCommand(sample, ["-s", "4"], { K2POW_LABEL: "ok", K2POW_LOUD: "true" })).toEqual({ values: { size: 4, label: "ok", loud: true }, positionals: [] });
  });

  test("the text as given is shown, not the number it became", () => {
    expect(() => readCommand(sample, ["--size", "2.50"], { K2POW_LABEL: "ok" })).toThrow(/^--size \(K2POW_SIZE\) must be a whole number, got '2\.50'$/);
  });

  test("help puts each variable on the last line of its flag, all in one column", () => {
    const lines = optionsHelp(sample.fields).split("\n");
    expect(lines[0]).toMatch(/^ {2}-s, --size N {11}how many +K2POW_SIZE$/);
    expect(lines.slice(-2)).toEqual([expect.stringMatching(/^ {2}--loud {17}say it louder; .*[a-z]$/), expect.stringMatching(/^ {25}\S.* +K2POW_LOUD$/)]);
    for (const help of [serveHelp, poolHelp, joinHelp, optionsHelp(sample.fields)]) {
      const columns = new Set(help.split("\n").map((l) => l.search(/K2POW_\w+$/)).filter((at) => at >= 0));
      expect(columns.size).toBe(1);
    }
  });
});

describe("end to end, the variables reach the commands", () => {
  const main = joinPath(import.meta.dir, "..", "src", "main.ts");
  const k2pow = (args: string[], env: Record<string, string>) => run([process.execPath, main, ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });

  test.each([
    [["join", "http://127.0.0.1:3000"], { K2POW_WORKER_TOKEN: TOKEN, K2POW_CORES: "many" }, /^k2pow: --cores \(K2POW_CORES\) must be a whole number from 0 \(sized from the CPU's caches\) to 1024, got 'many'; run 'k2pow join --help' for usage\n$/],
    [["prove", ...JOB], { K2POW_RANDOMX_MODE: "turbo" }, /^k2pow: --randomx-mode \(K2POW_RANDOMX_MODE\) must be fast, light or auto, got 'turbo'; run 'k2pow prove --help' for usage\n$/],
    [["probe", "http://127.0.0.1:1"], { K2POW_GROUPS: "0" }, /^k2pow: --groups \(K2POW_GROUPS\) must be .* got '0'; run 'k2pow probe --help' for usage\n$/],
  ] as [string[], Record<string, string>, RegExp][])("%j %j exits 2", async (args, env, message) => {
    const { stdout, stderr, code } = await k2pow(args, env);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
  });
});
