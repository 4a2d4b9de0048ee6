// The fast-mode dataset (2080 MiB): allocated in the best page size to be had and freed by its owner on the owner's
// thread; built from the cache by all search threads at once, each on its own slice.
import type { Cache } from "./cache";
import { EngineError } from "./engine-error";
import type { Address, Native } from "./native";
import { allocateDataset, type PageMode, type PageRequest } from "./page-mode";
import { mib, thpResidentBytes } from "./resources";
import type { SearchThreads } from "./search-threads";
import { splitRange } from "./split-range";

export class Dataset {
  readonly items: number;
  /** How long the build took, once built. */
  seconds: number | null = null;
  /** For transparent huge pages: how much of the process the kernel backs with them, once built. */
  hugePageBytes: number | null = null;
  private address: Address | null;

  private constructor(
    private readonly native: Native,
    address: Address,
    readonly pages: PageMode,
  ) {
    this.address = address;
    this.items = Number(native.k2pow_dataset_items());
  }

  /** Allocates on the calling thread; "auto" falls back hugetlb → thp → plain, saying why through `note`. */
  static allocate(native: Native, request: PageRequest, note: (m: string) => void): Dataset {
    const { dataset, pages } = allocateDataset(native, request, note);
    return new Dataset(native, dataset, pages);
  }

  get pointer(): Address {
    if (this.address === null) throw new EngineError("internal error: the dataset was used after it was freed");
    return this.address;
  }

  /** Builds every item from `cache` on all `threads`; a failing thread stops the others within a chunk. */
  async build(threads: SearchThreads, cache: Cache, note: (m: string) => void): Promise<void> {
    const started = performance.now();
    const slices = splitRange(0n, BigInt(this.items), threads.size);
    await threads.onEach(
      (thread, i) =>
        thread.request({ type: "build", cache: cache.pointer, dataset: this.pointer, start: Number(slices[i]!.start), count: Number(slices[i]!.count) }),
      () => threads.shared.setStopBuild(true), // the others stop within a chunk instead of finishing for nothing
    );
    if (threads.shared.stopBuildRequested()) throw new EngineError("the dataset build was stopped");
    const built = threads.shared.totalItemsBuilt();
    if (built !== this.items) throw new EngineError(`internal error: ${built} of ${this.items} dataset items were built`);
    this.seconds = (performance.now() - started) / 1000;
    let pageNote = `${this.pages} pages`;
    if (this.pages === "thp") {
      this.hugePageBytes = thpResidentBytes();
      pageNote += `, ${mib(this.hugePageBytes)} of it in huge pages`;
    }
    const n = threads.size;
    note(`dataset built in ${this.seconds.toFixed(1)} s on ${n} thread${n === 1 ? "" : "s"} (${pageNote})`);
  }

  free(): void {
    if (this.address !== null) this.native.k2pow_dataset_destroy(this.address);
    this.address = null;
  }
}
