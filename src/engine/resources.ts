// What this machine offers the engine: memory that can be had, and which kinds of huge pages.
import { readFileSync } from "node:fs";

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

/** Bytes this process can still allocate: MemAvailable, lowered by a cgroup v2 limit when one applies. */
export function availableMemory(): number {
  let available = (meminfo("MemAvailable") ?? Number.MAX_SAFE_INTEGER / 1024) * 1024;
  const cgroup = readText("/proc/self/cgroup")?.match(/^0::(.*)$/m)?.[1];
  if (cgroup !== undefined) {
    const dir = `/sys/fs/cgroup${cgroup === "/" ? "" : cgroup}`;
    const max = readText(`${dir}/memory.max`)?.trim();
    const current = Number(readText(`${dir}/memory.current`)?.trim());
    if (max && max !== "max" && Number.isFinite(current)) available = Math.min(available, Number(max) - current);
  }
  return available;
}

export type ThpSetting = "always" | "madvise" | "never" | "unsupported";

/** The kernel's transparent huge page policy ("madvise" means: only where asked, which the engine does). */
export function thpSetting(): ThpSetting {
  const text = readText("/sys/kernel/mm/transparent_hugepage/enabled");
  const chosen = text?.match(/\[(\w+)\]/)?.[1];
  return chosen === "always" || chosen === "madvise" || chosen === "never" ? chosen : "unsupported";
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

/** Resident set size of this process, in bytes. */
export function residentBytes(): number {
  const match = readText("/proc/self/status")?.match(/^VmRSS:\s+(\d+) kB$/m);
  return match ? Number(match[1]) * 1024 : 0;
}

export function mib(bytes: number): string {
  return `${Math.round(bytes / MiB).toLocaleString("en-US")} MiB`;
}
