// Which page size the dataset gets. Huge pages speed up fast mode by up to ~1.8x, depending on the host (SPEC §4),
// so the default tries reserved huge pages, then transparent huge pages, then plain pages, and says why it skipped each.
import { PAGES, type Native } from "./native";
import { hugetlbFree, mib, thpOn, thpSetting, windowsLargePagesRefusal } from "./resources";
import { EngineError } from "./engine-error";

export type PageMode = keyof typeof PAGES;
export type PageRequest = "auto" | PageMode;

export const PAGE_MODES: readonly PageMode[] = ["hugetlb", "thp", "plain"];

const windows = process.platform === "win32";

/** Why `mode` cannot be used on this machine, or null when it is worth trying. */
function unavailable(mode: PageMode, bytes: number, native: Native): string | null {
  // Windows' large pages are the hugetlb mode (VirtualAlloc with MEM_LARGE_PAGES); it has nothing like THP.
  if (windows && mode === "hugetlb") return windowsLargePagesRefusal(native);
  if (windows && mode === "thp") return "Windows has no transparent huge pages; its large pages are --pages hugetlb";
  if (mode === "hugetlb") {
    const { bytes: free, pageBytes } = hugetlbFree();
    if (free >= bytes) return null;
    const pages = Math.ceil(bytes / pageBytes);
    return `reserved huge pages: ${mib(free)} free, the dataset needs ${mib(bytes)} (set vm.nr_hugepages to at least ${pages} plus what else uses them)`;
  }
  if (mode === "thp") {
    if (thpOn()) return null;
    return `transparent huge pages are ${thpSetting() === "never" ? "turned off (transparent_hugepage=never)" : "not supported by this kernel"}`;
  }
  return null;
}

/**
 * Allocates the dataset in the requested page mode; "auto" falls back in order and reports each step through
 * `note`. An explicit mode that cannot be had is an error that says what to change.
 */
export function allocateDataset(
  native: Native,
  request: PageRequest,
  note: (message: string) => void,
): { dataset: number; pages: PageMode } {
  const bytes = Number(native.k2pow_dataset_bytes());
  // Windows: auto goes from large pages straight to plain ones, with one line on why, not two.
  const candidates = request !== "auto" ? [request] : windows ? PAGE_MODES.filter((m) => m !== "thp") : PAGE_MODES;
  const obtained = new Int32Array(1);
  for (const mode of candidates) {
    let reason = unavailable(mode, bytes, native);
    if (reason === null) {
      const dataset = native.k2pow_dataset_alloc(PAGES[mode], obtained);
      if (dataset !== null && obtained[0] === PAGES[mode]) return { dataset, pages: mode };
      if (dataset !== null) {
        // Only THP degrades: the kernel refused the advice, and the memory is there in plain pages.
        if (request === "auto") {
          note("dataset: the kernel refused madvise(MADV_HUGEPAGE); using plain pages");
          return { dataset, pages: "plain" };
        }
        native.k2pow_dataset_destroy(dataset);
        reason = "the kernel refused madvise(MADV_HUGEPAGE)";
      } else {
        // With the right held, Windows still needs that much physical memory free in 2 MiB runs.
        reason = windows ? "Windows could not find that much memory in large pages (fragmented; after a restart it can)" : "the allocation failed";
      }
    }
    if (request !== "auto") throw new EngineError(`cannot allocate the dataset in ${mode} pages: ${reason}`);
    note(`dataset: not using ${mode} pages: ${reason}`);
  }
  throw new EngineError(`cannot allocate the ${mib(bytes)} dataset even in plain pages; use --randomx-mode light`);
}
