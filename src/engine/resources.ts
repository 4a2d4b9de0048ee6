// What this machine offers the engine: memory that can be had, and which kinds of huge pages. Linux tells through
// /proc and /sys; Windows has neither, so there the answers come from Node's os module and the shim.
import { readFileSync } from "node:fs";
import { freemem } from "node:os";
import type { Native } from "./native";

const MiB = 1024 * 1024;

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function meminfo(field: string): number | null {
  const match = readText("/proc/meminfo")?.match(new RegExp(`^${field}:\\s+(\\d+)(?: kB)?$`, "m"));
  return match ? Number(match[1]) : null;
}

/**
 * Bytes this process can still allocate: MemAvailable, lowered by any cgroup memory limit (v1 or v2) above it. On
 * Windows, the available physical memory (which, like MemAvailable, counts the file cache it can reclaim).
 */
export function availableMemory(): number {
  if (process.platform === "win32") return freemem();
  const available = (meminfo("MemAvailable") ?? Number.MAX_SAFE_INTEGER / 1024) * 1024;
  return Math.min(available, cgroupHeadroom());
}

/** The two layouts of cgroup memory accounting: where the files are and what they are called. */
const CGROUP_LAYOUTS = [
  { controller: "", roots: ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"], limit: "memory.max", usage: "memory.current", cache: "inactive_file" },
  { controller: "memory", roots: ["/sys/fs/cgroup/memory"], limit: "memory.limit_in_bytes", usage: "memory.usage_in_bytes", cache: "total_inactive_file" },
] as const;

/** The least room left under the memory limits of this process's cgroup and its ancestors; page cache counts as free. */
function cgroupHeadroom(): number {
  let headroom = Infinity;
  for (const line of readText("/proc/self/cgroup")?.split("\n") ?? []) {
    const match = line.match(/^\d+:([^:]*):(.*)$/);
    if (!match) continue;
    const layout = CGROUP_LAYOUTS.find((l) => (l.controller === "" ? match[1] === "" : match[1]!.split(",").includes(l.controller)));
    if (!layout) continue;
    for (const root of layout.roots) {
      for (let path = match[2]!; ; path = path.slice(0, path.lastIndexOf("/"))) {
        const dir = `${root}${path === "/" ? "" : path}`;
        const limit = Number(readText(`${dir}/${layout.limit}`)?.trim());
        const usage = Number(readText(`${dir}/${layout.usage}`)?.trim());
        if (Number.isFinite(limit) && Number.isFinite(usage)) {
          const stat = readText(`${dir}/memory.stat`)?.match(new RegExp(`^${layout.cache} (\\d+)$`, "m"));
          headroom = Math.min(headroom, limit - usage + Number(stat?.[1] ?? 0));
        }
        if (path === "/" || path === "") break;
      }
    }
  }
  return headroom;
}

export type ThpSetting = "always" | "madvise" | "never" | "unsupported";

/** The kernel's transparent huge page policy ("madvise" means: only where asked, which the engine does). */
export function thpSetting(): ThpSetting {
  const text = readText("/sys/kernel/mm/transparent_hugepage/enabled");
  const chosen = text?.match(/\[(\w+)\]/)?.[1];
  return chosen === "always" || chosen === "madvise" || chosen === "never" ? chosen : "unsupported";
}

/** Whether memory advised for transparent huge pages gets them (THP at "always" or "madvise"). */
export function thpOn(): boolean {
  const thp = thpSetting();
  return thp === "always" || thp === "madvise";
}

/** Reserved huge pages (vm.nr_hugepages) still free, in bytes, and the size of one. */
export function hugetlbFree(): { bytes: number; pageBytes: number } {
  const pageBytes = (meminfo("Hugepagesize") ?? 2048) * 1024;
  return { bytes: (meminfo("HugePages_Free") ?? 0) * pageBytes, pageBytes };
}

/** Anonymous memory of this process backed by transparent huge pages, in bytes. */
export function thpResidentBytes(): number {
  const match = readText("/proc/self/smaps_rollup")?.match(/^AnonHugePages:\s+(\d+) kB$/m);
  return match ? Number(match[1]) * 1024 : 0;
}

/** AdjustTokenPrivileges: the account does not hold the privilege asked for. */
const ERROR_NOT_ALL_ASSIGNED = 1300;

/**
 * Why large pages cannot be had on Windows, or null when this process holds the right to them (it is then enabled).
 * Windows gives them only to accounts granted "Lock pages in memory", and a grant takes effect at the next sign-in.
 */
export function windowsLargePagesRefusal(native: Pick<Native, "k2pow_lock_pages_privilege">): string | null {
  const error = native.k2pow_lock_pages_privilege();
  if (error === 0) return null;
  const code = error === ERROR_NOT_ALL_ASSIGNED ? "" : ` (Windows error ${error})`;
  return (
    `Windows large pages need the "Lock pages in memory" right${code}: run secpol.msc, Local Policies → User Rights ` +
    "Assignment → Lock pages in memory, add the account that runs k2pow, then sign out and in again"
  );
}

/** Resident set size of this process, in bytes. */
export function residentBytes(): number {
  const match = readText("/proc/self/status")?.match(/^VmRSS:\s+(\d+) kB$/m);
  return match ? Number(match[1]) * 1024 : 0;
}

export function mib(bytes: number): string {
  return `${Math.round(bytes / MiB).toLocaleString("en-US")} MiB`;
}
