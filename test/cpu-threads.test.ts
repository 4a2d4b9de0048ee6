// Search threads from CPU caches, on sysfs trees of real machines (test/fixtures/cpus, made by generate.ts there).
// Every expected count is worked out by hand from the fixture's numbers, not taken from the code.
import { threadCounts } from "../src/cli/bench";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus as osCpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { threadsFromCaches } from "../src/engine/cache-threads";

const MiB = 1024 * 1024;
const fixture = (name: string) => join(import.meta.dir, "fixtures/cpus", name) + "/";

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A scratch root holding just the given files (paths relative to it). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "cpu-threads-"));
  temporary.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  }
  return `${root}/`;
}

/** One L2/L3 cache entry of CPU `cpu` in a scratch tree. */
function cache(cpu: number, index: number, level: number, type: string, size: string, shared: string) {
  const dir = `sys/devices/system/cpu/cpu${cpu}/cache/index${index}`;
  return { [`${dir}/level`]: `${level}`, [`${dir}/type`]: type, [`${dir}/size`]: size, [`${dir}/shared_cpu_list`]: shared };
}

test("AMD EPYC 7R32 (Zen 2): each 16 MiB CCX L3 counts once, and its L2 adds nothing", () => {
  // Two L3s (CPUs 0-3,8-11 and 4-7,12-15), 16 MiB each, listed by all 16 CPUs: 32 MiB, not 16 × 16 MiB.
  // Zen 2 is family 0x17, so its 512 KiB L2s add nothing: 32 MiB / 2 MiB = 16 scratchpads, for 16 logical CPUs.
  const result = threadsFromCaches(fixture("amd-epyc-7r32"));
  expect(result.threads).toBe(16);
  expect(result.caches).toEqual({ l2: { instances: 8, bytes: 4 * MiB }, l3: { instances: 2, bytes: 32 * MiB }, usableBytes: 32 * MiB });
  expect(result.reason).toBe("16 threads: 32 MiB of L3 (2 × 16 MiB) holds 16 scratchpads of 2 MiB (16 logical CPUs)");
});

test("Intel Xeon Platinum 8175M (Skylake-SP): one thread per core, not one per hyperthread", () => {
  // 4 cores with 1 MiB L2 each (4 MiB) beside a 33 MiB L3 that does not duplicate L2: 4 MiB of L2 and as much
  // again of L3 = 8 MiB, 4 scratchpads, one per core, on 8 logical CPUs. (Counting the L3 alone would give 16, so 8.)
  const result = threadsFromCaches(fixture("intel-xeon-8175m"));
  expect(result.threads).toBe(4);
  expect(result.caches).toEqual({ l2: { instances: 4, bytes: 4 * MiB }, l3: { instances: 1, bytes: 33 * MiB }, usableBytes: 8 * MiB });
  expect(result.reason).toBe(
    "4 threads: 8 MiB of cache (L2 4 × 1 MiB + as much again of L3 1 × 33 MiB: one scratchpad per core on Intel Xeon Scalable) holds 4 scratchpads of 2 MiB (8 logical CPUs)",
  );
});

test("Intel Core i7-8550U: an 8 MiB L3 feeds 4 of its 8 logical CPUs, as RandomX's own benchmark table found", () => {
  // 256 KiB L2s add nothing; 8 MiB of L3 / 2 MiB = 4.
  const result = threadsFromCaches(fixture("intel-core-i7-8550u"));
  expect(result.threads).toBe(4);
  expect(result.caches.usableBytes).toBe(8 * MiB);
  expect(result.reason).toBe("4 threads: 8 MiB of L3 (1 × 8 MiB) holds 4 scratchpads of 2 MiB (8 logical CPUs)");
});

test("AWS Graviton2: one thread per logical CPU, not the 16 its 32 MiB system-level L3 would allow", () => {
  // Sized by its L3 it would get 32 MiB / 2 MiB = 16 of 32 cores; on Arm every core runs.
  const result = threadsFromCaches(fixture("aws-graviton2"));
  expect(result.threads).toBe(32);
  expect(result.caches).toEqual({ l2: { instances: 32, bytes: 32 * MiB }, l3: { instances: 1, bytes: 32 * MiB }, usableBytes: 0 });
  expect(result.reason).toStartWith("32 threads: one per logical CPU on Arm; its L3 (1 × 32 MiB) is a system-level cache");
});

test("this machine (2 vCPU EPYC, Zen 4): half of each L2 counts, and the 2 logical CPUs cap the 16 the cache allows", () => {
  // Family 25 (0x19) model 17 (0x11) is Zen 4: 32 MiB L3 + half of 2 × 1 MiB L2 = 33 MiB, 16 scratchpads; 2 CPUs.
  const result = threadsFromCaches(fixture("kvm-epyc-zen4-2vcpu"));
  expect(result.threads).toBe(2);
  expect(result.caches).toEqual({ l2: { instances: 2, bytes: 2 * MiB }, l3: { instances: 1, bytes: 32 * MiB }, usableBytes: 33 * MiB });
  expect(result.reason).toBe(
    "2 threads: 33 MiB of cache (L3 1 × 32 MiB + half of L2 2 × 1 MiB, which AMD Zen 4 and later add to L3) holds 16 scratchpads of 2 MiB, capped at 2 logical CPUs",
  );
});

/** A 4-core, 8-thread x86 CPU with one L2 per core and one L3: the layout and cpuinfo a scratch tree needs. */
function fourCores(cpuinfo: string, l2: string, l3: string): string {
  let files: Record<string, string> = { "sys/devices/system/cpu/online": "0-7", "proc/cpuinfo": cpuinfo };
  for (let cpu = 0; cpu < 8; cpu++) {
    files = { ...files, ...cache(cpu, 2, 2, "Unified", l2, `${cpu % 4},${(cpu % 4) + 4}`), ...cache(cpu, 3, 3, "Unified", l3, "0-7") };
  }
  return tree(files);
}

const amd = (family: number, model: number) => `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: ${family}\nmodel\t\t: ${model}`;

test("half of each L2 counts on Zen 4 and Zen 5, not on Zen 3", () => {
  // 4 × 1 MiB L2 and a 6 MiB L3. Zen 3 (family 0x19 model 0x01): 6 MiB, 3 threads. Zen 4 (family 0x19 model 0x61)
  // and Zen 5 (family 0x1a model 0x44): 6 + 4 × 0.5 = 8 MiB, 4 threads.
  expect(threadsFromCaches(fourCores(amd(25, 1), "1024K", "6144K")).threads).toBe(3);
  expect(threadsFromCaches(fourCores(amd(25, 0x61), "1024K", "6144K")).threads).toBe(4);
  expect(threadsFromCaches(fourCores(amd(26, 0x44), "1024K", "6144K")).threads).toBe(4);
});

test("an L2 that holds a whole scratchpad adds one, as on Sapphire Rapids", () => {
  // Intel family 6 model 143, 2 MiB L2 per core, 7.5 MiB L3 (1.875 MiB per core): 7.5 + 4 × 2 = 15.5 MiB, 7 threads.
  const info = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143";
  const result = threadsFromCaches(fourCores(info, "2048K", "7680K"));
  expect(result.threads).toBe(7);
  expect(result.caches.usableBytes).toBe(15.5 * MiB);
  expect(result.reason).toBe(
    "7 threads: 15.5 MiB of cache (L3 1 × 7.5 MiB + one scratchpad in each L2 of 4 × 2 MiB) holds 7 scratchpads of 2 MiB (8 logical CPUs)",
  );
});

test("the logical CPUs this process may run on cap the count further, and never raise it", () => {
  const epyc = threadsFromCaches(fixture("amd-epyc-7r32"), 6);
  expect(epyc.threads).toBe(6);
  expect(epyc.reason).toEndWith("holds 16 scratchpads of 2 MiB, capped at 6 logical CPUs");
  expect(threadsFromCaches(fixture("aws-graviton2"), 3).threads).toBe(3);
  // Affinity wider than the 8 online CPUs does not lift the cache's 4.
  expect(threadsFromCaches(fixture("intel-core-i7-8550u"), 64).threads).toBe(4);
  expect(threadsFromCaches(fixture("intel-core-i7-8550u"), 2).threads).toBe(2);
});

test("no sysfs at all: one thread per logical CPU, and the reason says the caches could not be read", () => {
  const root = tree({});
  const limited = threadsFromCaches(root, 3);
  expect(limited.threads).toBe(3);
  expect(limited.reason).toBe(`3 threads: no CPU cache sizes readable under ${root}sys/devices/system/cpu, so one per logical CPU`);
  expect(limited.caches).toEqual({ l2: { instances: 0, bytes: 0 }, l3: { instances: 0, bytes: 0 }, usableBytes: 0 });
  expect(threadsFromCaches(root).threads).toBe(availableParallelism());
});

test("CPUs listed but no cache directories: one thread per online CPU", () => {
  const result = threadsFromCaches(tree({ "sys/devices/system/cpu/online": "0-4" }));
  expect(result.threads).toBe(5);
  expect(result.reason).toContain("no CPU cache sizes readable");
});

test("no L3 listed on x86: the L2 is the last level and sizes the count; odd entries are skipped", () => {
  // 8 CPUs from `possible` (no `online`), two 4 MiB L2s written as "4M" and "4096K": 8 MiB, 4 scratchpads.
  // Skipped: an Instruction cache, an unreadable size, a broken CPU list, and CPU 9, which is not in the list.
  const root = tree({
    "sys/devices/system/cpu/possible": "0-7",
    "proc/cpuinfo": "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 15",
    ...cache(0, 0, 2, "Unified", "4M", "0-3"),
    ...cache(0, 1, 2, "Instruction", "8M", "0"),
    ...cache(4, 0, 2, "Unified", "4096K", "4-7"),
    ...cache(5, 0, 2, "Unified", "lots", "5"),
    ...cache(6, 0, 3, "Unified", "64M", "6-zz"),
    ...cache(9, 0, 3, "Unified", "64M", "9"),
  });
  const result = threadsFromCaches(root);
  expect(result.threads).toBe(4);
  expect(result.caches).toEqual({ l2: { instances: 2, bytes: 8 * MiB }, l3: { instances: 0, bytes: 0 }, usableBytes: 8 * MiB });
  expect(result.reason).toBe("4 threads: 8 MiB of L2 (2 × 4 MiB, the last level listed) holds 4 scratchpads of 2 MiB (8 logical CPUs)");
});

test("a cache too small for one scratchpad still gets one thread", () => {
  const root = tree({ "sys/devices/system/cpu/online": "0-1", ...cache(0, 3, 3, "Unified", "1024K", "0-1") });
  const result = threadsFromCaches(root);
  expect(result.threads).toBe(1);
  expect(result.reason).toBe("1 thread: 1 MiB of L3 (1 × 1 MiB) holds 0 scratchpads of 2 MiB, but at least 1 runs");
});

test("on the machine running the tests: between 1 and its logical CPUs", () => {
  const result = threadsFromCaches("/");
  expect(result.threads).toBeGreaterThanOrEqual(1);
  expect(result.threads).toBeLessThanOrEqual(osCpus().length);
  expect(result.reason).toStartWith(`${result.threads} thread`);
});

describe("--bench's thread counts", () => {
  test("1, 2, 4, ... below the chosen count, then the chosen count and its neighbours within the CPUs", () => {
    expect(threadCounts(2, 2)).toEqual([1, 2]);
    expect(threadCounts(1, 2)).toEqual([1, 2]);
    expect(threadCounts(16, 17)).toEqual([1, 2, 4, 8, 15, 16, 17]);
    expect(threadCounts(16, 16)).toEqual([1, 2, 4, 8, 15, 16]);
    expect(threadCounts(5, 6)).toEqual([1, 2, 4, 5, 6]);
  });
});
