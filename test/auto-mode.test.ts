// On a box without the memory for fast mode, made real with a cgroup memory limit of 1.5 GiB around the CLI: auto
// mode falls back to light and says so; an explicit fast mode refuses up front with what to do instead.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./support/run";
import { smallestVectors } from "./support/vectors";

const LIMIT = 1536 * 1024 * 1024;
const main = join(import.meta.dir, "..", "src", "main.ts");

/** A child of this process's memory cgroup (v1 or v2) limited to LIMIT, or why one cannot be made here. */
function limitedCgroup(): { dir: string } | { reason: string } {
  const lines = readFileSync("/proc/self/cgroup", "utf8").split("\n");
  const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  const v2 = lines.find((l) => l.startsWith("0::"));
  const [root, path, file] = v1
    ? ["/sys/fs/cgroup/memory", v1.split(":")[2]!, "memory.limit_in_bytes"]
    : ["/sys/fs/cgroup", v2?.slice(3) ?? "/", "memory.max"];
  const dir = join(root, path, `k2pow-test-${process.pid}`);
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, file), String(LIMIT));
    return { dir };
  } catch (err) {
    return { reason: `cannot make a memory cgroup at ${dir}: ${(err as Error).message}` };
  }
}

const cgroup = limitedCgroup();
afterAll(() => {
  if ("dir" in cgroup) rmdirSync(cgroup.dir);
});

async function proveInCgroup(dir: string, mode: string) {
  const v = smallestVectors.find((x) => x.smallest_valid_nonce === "10")!;
  const argv = ["prove", v.miner, String(v.nonce_group), v.challenge, v.difficulty, "--randomx-mode", mode, "--cores", "1"];
  return run(["sh", "-c", `echo $$ > ${dir}/cgroup.procs && exec "$@"`, "sh", process.execPath, main, ...argv]);
}

// Without a memory cgroup to make (not root, no cgroup v2) the test is reported skipped, saying why; under CI that is
// a failure instead.
const missing = "reason" in cgroup ? cgroup.reason : null;
if (missing !== null && !process.env.CI) console.log(`auto-mode test not run: ${missing}`);

test.skipIf(missing !== null && !process.env.CI)("within a 1.5 GiB limit, auto picks light mode and says why; fast refuses and says what to do", async () => {
  if ("reason" in cgroup) throw new Error(`cannot test auto mode under a memory limit: ${cgroup.reason}`);
  const auto = await proveInCgroup(cgroup.dir, "auto");
  expect(auto.stderr).toMatch(/fast mode needs about 2,\d{3} MiB, 1,\d{3} MiB available: using light mode/);
  expect(auto.stdout).toBe("10\n");
  expect(auto.code).toBe(0);

  const fast = await proveInCgroup(cgroup.dir, "fast");
  expect(fast.code).toBe(3);
  expect(fast.stdout).toBe("");
  expect(fast.stderr).toMatch(/^k2pow: fast mode needs about 2,\d{3} MiB, 1,\d{3} MiB available; use --randomx-mode light/);
  expect(fast.stderr).not.toMatch(/\n\s+at /); // no stack trace
});
