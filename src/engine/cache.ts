// The RandomX cache (256 MiB, filled from the k2pow key): allocated and freed by its owner on the owner's thread;
// filling it, about a second of work, may be done by a search thread so the owner's event loop is not held up.
import { EngineError } from "./engine-error";
import { RANDOMX_FLAG_LARGE_PAGES, type Address, type Native } from "./native";
import { hugetlbFree, mib, thpOn, windowsLargePagesRefusal } from "./resources";

export const CACHE_BYTES = 256 * 1024 * 1024;

export type CachePages = "hugetlb" | "thp" | "plain";

export class Cache {
  private address: Address | null;

  private constructor(
    private readonly native: Native,
    address: Address,
    readonly pages: CachePages,
  ) {
    this.address = address;
  }

  /**
   * Allocates on the calling thread. Reserved huge pages, when asked for, fall back to transparent huge pages (or
   * plain pages where the kernel has none) with a note, unless `required`: then their lack is an error that says what
   * to change. Transparent huge pages that cannot be had are plain pages without a word: nothing to change for them.
   */
  static allocate(native: Native, flags: number, pages: CachePages, note: (m: string) => void, required = false): Cache {
    let wanted = pages;
    if (pages === "hugetlb") {
      const address = native.k2pow_cache_alloc(flags | RANDOMX_FLAG_LARGE_PAGES);
      if (address !== null) return new Cache(native, address, "hugetlb");
      const fallback = thpOn() ? "transparent huge pages" : "plain pages";
      if (process.platform === "win32") {
        const why = windowsLargePagesRefusal(native) ?? "Windows could not find 256 MiB in large pages (fragmented memory)";
        if (required) throw new EngineError(`cannot allocate the 256 MiB cache in large pages: ${why}`);
        note(`cache: not using large pages: ${why}; using ${fallback}`);
      } else {
        const { bytes } = hugetlbFree();
        if (required) {
          throw new EngineError(`cannot allocate the 256 MiB cache in hugetlb pages (${mib(bytes)} free); raise vm.nr_hugepages`);
        }
        note(`cache: reserved huge pages could not be had; using ${fallback}`);
      }
      wanted = "thp";
    }
    const address = native.k2pow_cache_alloc(flags & ~RANDOMX_FLAG_LARGE_PAGES);
    if (address === null) throw new EngineError("RandomX could not allocate its 256 MiB cache (out of memory?)");
    // Filling it writes every page once: on 2 MiB pages a light-mode start takes about three quarters of the CPU time.
    // The advice is taken without error even where THP is turned off; only the setting says whether it does anything.
    if (wanted === "thp" && thpOn() && native.k2pow_cache_advise_huge_pages(address) === 0) return new Cache(native, address, "thp");
    return new Cache(native, address, "plain");
  }

  /** Its address, to hand to the thread that fills it and to VMs; only while it is not freed. */
  get pointer(): Address {
    if (this.address === null) throw new EngineError("internal error: the cache was used after it was freed");
    return this.address;
  }

  /** Fills it on the calling thread (blocking it for about a second). */
  fillHere(): void {
    if (this.native.k2pow_cache_init(this.pointer) !== 0) throw new EngineError("the shim refused to fill the cache");
  }

  free(): void {
    if (this.address !== null) this.native.k2pow_cache_destroy(this.address);
    this.address = null;
  }
}
