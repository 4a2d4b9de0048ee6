// How many search threads this machine's caches can feed. Each RandomX VM works in a 2 MiB scratchpad; a thread
// whose scratchpad does not stay in cache waits on memory, so past that point more threads make fewer hashes.
// The rule is the one XMRig reached by measurement, read from Linux's sysfs rather than hwloc.
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

const KiB = 1024;
const MiB = 1024 * KiB;
const SCRATCHPAD = 2 * MiB;

export interface CacheTotal {
  /** Distinct caches at this level (one shared by several CPUs counts once). */
  instances: number;
  bytes: number;
}

export interface CacheThreads {
  threads: number;
  /** One line for the start-up log and /status: the count and where it came from. */
  reason: string;
  /** `usableBytes` is the cache the thread count was sized against; 0 where it was not sized from caches. */
  caches: { l2: CacheTotal; l3: CacheTotal; usableBytes: number };
}

/** A data or unified cache of level 2 or 3, counted once however many CPUs share it. */
interface Cache {
  level: 2 | 3;
  bytes: number;
}

interface Processor {
  arm: boolean;
  vendor: string | null;
  family: number | null;
  model: number | null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/** A kernel CPU list such as "0-3,8-11", or null if it is not one. */
function parseCpuList(text: string): number[] | null {
  const cpus: number[] = [];
  for (const part of text.trim().split(",")) {
    const match = part.match(/^(\d+)(?:-(\d+))?$/);
    if (!match) return null;
    const first = Number(match[1]);
    const last = Number(match[2] ?? match[1]);
    // Bounds the work an odd file can cause; Linux supports at most 8,192 CPUs.
    if (last < first || last >= 65_536) return null;
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** A sysfs cache size such as "32768K" or "1M" in bytes, or null if it is not one. */
function parseSize(text: string): number | null {
  const match = text.trim().match(/^(\d+)\s*([KMG]?)(?:i?B)?$/i);
  if (!match) return null;
  const unit = { "": 1, K: KiB, M: MiB, G: 1024 * MiB }[match[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Number(match[1]) * unit;
}

function onlineCpus(cpuDir: string): number[] | null {
  for (const name of ["online", "possible"]) {
    const text = readText(`${cpuDir}/${name}`);
    const cpus = text === null ? null : parseCpuList(text);
    if (cpus?.length) return cpus;
  }
  try {
    const cpus = readdirSync(cpuDir).flatMap((name) => name.match(/^cpu(\d+)$/)?.[1] ?? []).map(Number);
    return cpus.length ? cpus : null;
  } catch {
    return null;
  }
}

/** The distinct L2 and L3 data/unified caches of the given CPUs; entries that cannot be read are left out. */
function readCaches(cpuDir: string, cpus: number[]): Cache[] {
  const found = new Map<string, Cache>();
  for (const cpu of cpus) {
    let indexes: string[];
    try {
      indexes = readdirSync(`${cpuDir}/cpu${cpu}/cache`).filter((name) => /^index\d+$/.test(name));
    } catch {
      continue;
    }
    for (const index of indexes) {
      const dir = `${cpuDir}/cpu${cpu}/cache/${index}`;
      const level = Number(readText(`${dir}/level`));
      if (level !== 2 && level !== 3) continue;
      if (!["Data", "Unified"].includes(readText(`${dir}/type`) ?? "")) continue;
      const bytes = parseSize(readText(`${dir}/size`) ?? "");
      const shared = parseCpuList(readText(`${dir}/shared_cpu_list`) ?? "");
      if (!bytes || !shared) continue;
      const key = `${level}:${[...new Set(shared)].sort((a, b) => a - b).join(",")}`;
      found.set(key, { level, bytes });
    }
  }
  return [...found.values()];
}

function readProcessor(root: string): Processor {
  const text = readText(`${root}proc/cpuinfo`) ?? "";
  const field = (name: string) => text.match(new RegExp(`^${name}\\s*:\\s*(.+)$`, "m"))?.[1]?.trim() ?? null;
  const number = (name: string) => {
    const value = Number(field(name) ?? NaN);
    return Number.isInteger(value) ? value : null;
  };
  return { arm: field("CPU implementer") !== null, vendor: field("vendor_id"), family: number("cpu family"), model: number("model") };
}

/** Zen 4 and later (per Linux's family/model table), where XMRig measured a gain from half of each L2. */
function isZen4OrLater({ vendor, family, model }: Processor): boolean {
  if (vendor !== "AuthenticAMD" || family === null) return false;
  if (family >= 0x1a) return true;
  return family === 0x19 && model !== null && ((model >= 0x10 && model <= 0x1f) || (model >= 0x60 && model <= 0xaf));
}

function size(bytes: number): string {
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= MiB) return `${Number((bytes / MiB).toFixed(3))} MiB`;
  return bytes % KiB === 0 ? `${bytes / KiB} KiB` : `${bytes} B`;
}

/** "2 × 16 MiB" when all are one size, else "40 MiB in 12". */
function group(caches: Cache[]): string {
  const total = caches.reduce((sum, c) => sum + c.bytes, 0);
  const sizes = new Set(caches.map((c) => c.bytes));
  return sizes.size === 1 ? `${caches.length} × ${size(caches[0]!.bytes)}` : `${size(total)} in ${caches.length}`;
}

function total(caches: Cache[]): CacheTotal {
  return { instances: caches.length, bytes: caches.reduce((sum, c) => sum + c.bytes, 0) };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * The cache RandomX can count on, and how it was reckoned. L3 counts in full. L2 adds only where the L3 does not
 * also hold what L2 holds, and only as much as XMRig's measurements found useful: half of each L2 on AMD Zen 4 and
 * later (Zen 1-3 gained nothing from theirs); on Intel Xeon Scalable with 1 MiB L2 per core, one scratchpad per
 * core (the L2 plus as much again of L3); elsewhere one whole scratchpad in each L2 of 2 MiB or more (parts with
 * L2s that large, such as Sapphire Rapids, keep them out of L3).
 */
function usableCache(l3: Cache[], l2: Cache[], processor: Processor): { bytes: number; text: string } {
  const l3Bytes = total(l3).bytes;
  const l2Bytes = total(l2).bytes;
  if (isZen4OrLater(processor) && l2.length) {
    const extra = l2.reduce((sum, c) => sum + Math.min(c.bytes / 2, SCRATCHPAD), 0);
    return { bytes: l3Bytes + extra, text: `of cache (L3 ${group(l3)} + half of L2 ${group(l2)}, which AMD Zen 4 and later add to L3)` };
  }
  if (processor.vendor === "GenuineIntel" && l2.length && l2.every((c) => c.bytes === MiB)) {
    const bytes = l2Bytes + Math.min(l3Bytes, l2Bytes);
    return { bytes, text: `of cache (L2 ${group(l2)} + as much again of L3 ${group(l3)}: one scratchpad per core on Intel Xeon Scalable)` };
  }
  const whole = l2.filter((c) => c.bytes >= SCRATCHPAD);
  if (whole.length) {
    return { bytes: l3Bytes + whole.length * SCRATCHPAD, text: `of cache (L3 ${group(l3)} + one scratchpad in each L2 of ${group(whole)})` };
  }
  return { bytes: l3Bytes, text: `of L3 (${group(l3)})` };
}

/**
 * Search threads for this machine: as many 2 MiB scratchpads as its caches hold, at least 1 and at most its logical
 * CPUs. `root` is where sysfs and procfs are found ("/" on a live system); `cpus` is how many logical CPUs this
 * process may run on (its affinity), which caps the count further.
 */
export function threadsFromCaches(root = "/", cpus?: number): CacheThreads {
  const cpuDir = `${root}sys/devices/system/cpu`;
  const online = onlineCpus(cpuDir);
  const known = Math.min(cpus ?? Infinity, online?.length ?? Infinity);
  const logical = Number.isFinite(known) ? known : availableParallelism();
  const caches = readCaches(cpuDir, online ?? []);
  const l3 = caches.filter((c) => c.level === 3);
  const l2 = caches.filter((c) => c.level === 2);
  const totals = { l2: total(l2), l3: total(l3) };
  const perLogicalCpu = (why: string): CacheThreads => {
    const threads = Math.max(1, logical);
    return { threads, reason: `${plural(threads, "thread")}: ${why}`, caches: { ...totals, usableBytes: 0 } };
  };

  if (!caches.length) {
    // Windows has no sysfs; its cache sizes are not within reach of Bun.
    const where = process.platform === "win32" && root === "/" ? "on Windows" : `under ${cpuDir}`;
    return perLogicalCpu(`no CPU cache sizes readable ${where}, so one per logical CPU`);
  }
  const processor = readProcessor(root);
  // Arm server L3s are system-level caches shared with the whole chip; sizing threads by them left most cores of a
  // 64-core Graviton2 idle (XMRig counted that a bug and runs every core on Arm).
  if (processor.arm) {
    const l3Text = l3.length ? `; its L3 (${group(l3)}) is a system-level cache that does not bound RandomX threads` : "";
    return perLogicalCpu(`one per logical CPU on Arm${l3Text}`);
  }

  // With no L3 listed, the L2 is the last level and plays its part.
  const usable = l3.length ? usableCache(l3, l2, processor) : { bytes: totals.l2.bytes, text: `of L2 (${group(l2)}, the last level listed)` };
  const allowed = Math.floor(usable.bytes / SCRATCHPAD);
  const threads = Math.max(1, Math.min(allowed, logical));
  const limit =
    allowed > logical ? `, capped at ${plural(logical, "logical CPU")}` : allowed < 1 ? ", but at least 1 runs" : ` (${plural(logical, "logical CPU")})`;
  return {
    threads,
    reason: `${plural(threads, "thread")}: ${size(usable.bytes)} ${usable.text} holds ${plural(allowed, "scratchpad")} of 2 MiB${limit}`,
    caches: { ...totals, usableBytes: usable.bytes },
  };
}
