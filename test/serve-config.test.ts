// The worker's settings from flags and K2POW_* variables: upstream's defaults, a flag winning over its variable,
// and a message naming the flag, its variable and what it takes for every bad value.
import { expect, test } from "bun:test";
import { defaultDatasetFile } from "../src/cli/engine-options";
import { serveConfig } from "../src/cli/serve";

test("defaults are upstream's, with auto mode", () => {
  expect(serveConfig([], {})).toEqual({
    host: "0.0.0.0",
    port: 3000,
    logLevel: "info",
    logFormat: "text",
    progressSeconds: 30,
    busyStatus: 429,
    maxExpectedHashes: 4_915_200_000,
    jobTimeoutSeconds: 43_200,
    engine: { mode: "auto", threads: 0, pages: "auto", datasetFile: defaultDatasetFile({}) },
  });
  expect(serveConfig([], { HOME: "/home/smesher" })).toMatchObject({ engine: { datasetFile: "/home/smesher/.cache/k2pow/randomx-dataset.bin" } });
});

test("every setting comes from its variable, and a flag wins over it", () => {
  const env = {
    K2POW_BIND_ADDRESS: "127.0.0.1:4000",
    K2POW_RANDOMX_MODE: "light",
    K2POW_CORES: "3",
    K2POW_AUTH: "u:p",
    K2POW_LOG_LEVEL: "warn",
    K2POW_LOG_FORMAT: "json",
    K2POW_PROGRESS_INTERVAL: "5",
    K2POW_BUSY_STATUS: "503",
    K2POW_RANDOMX_LARGE_PAGES: "1",
    K2POW_MAX_EXPECTED_HASHES: "5e9",
    K2POW_JOB_TIMEOUT: "600",
  };
  expect(serveConfig([], env)).toMatchObject({
    host: "127.0.0.1",
    port: 4000,
    auth: "u:p",
    logLevel: "warn",
    logFormat: "json",
    progressSeconds: 5,
    busyStatus: 503,
    maxExpectedHashes: 5e9,
    jobTimeoutSeconds: 600,
    engine: { mode: "light", threads: 3, pages: "hugetlb" },
  });
  expect(serveConfig(["-b", "[::1]:5000", "--cores", "1", "--pages", "thp"], env)).toMatchObject({
    host: "::1",
    port: 5000,
    engine: { threads: 1, pages: "thp" },
  });
});

test.each([
  [["--log-level", "loud"], {}, /^--log-level \(K2POW_LOG_LEVEL\) must be error, warn, info, debug, got 'loud'$/],
  [[], { K2POW_LOG_FORMAT: "xml" }, /^--log-format \(K2POW_LOG_FORMAT\) must be text or json, got 'xml'$/],
  [["--auth", "nocolon"], {}, /^--auth \(K2POW_AUTH\) must be USER:PASSWORD, got a value without ':'$/],
  [["--progress-interval", "0"], {}, /must be a number of seconds from 0\.1 to 86400, got '0'$/],
  [["--progress-interval", "1e10"], {}, /from 0\.1 to 86400/],
  [["--busy-status", "500"], {}, /^--busy-status \(K2POW_BUSY_STATUS\) must be 429 or 503, got '500'$/],
  [["-b", "3000"], {}, /^--bind-address \(K2POW_BIND_ADDRESS\) must be host:port \(or \[ipv6\]:port\), got '3000'$/],
  [["-b", "0.0.0.0:70000"], {}, /port from 0 to 65535, got '70000'$/],
  [[], { K2POW_RANDOMX_LARGE_PAGES: "yes" }, /^K2POW_RANDOMX_LARGE_PAGES must be 1, true, 0 or false, got 'yes'$/],
  [["--cores", "many"], {}, /^--cores \(K2POW_CORES\) must be a whole number from 0 \(sized from the CPU's caches\) to 1024, got 'many'$/],
  [["--max-expected-hashes", "lots"], {}, /^--max-expected-hashes \(K2POW_MAX_EXPECTED_HASHES\) must be a number of hashes, 1 or more \(5e9 is fine\), got 'lots'$/],
  [[], { K2POW_JOB_TIMEOUT: "-1" }, /^--job-timeout \(K2POW_JOB_TIMEOUT\) must be a number of seconds from 0 \(never\) to 2592000, got '-1'$/],
] as [string[], Record<string, string>, RegExp][])("%j %j is refused", (argv, env, message) => {
  expect(() => serveConfig(argv, env)).toThrow(message);
});
