// The fast-mode dataset (2080 MiB): allocated in the best page size to be had and freed by its owner on the owner's
// thread; built from the cache by all search threads at once, each on its own slice, or read back from a dataset
// file (dataset-store.ts) the same way.
import type { Cache } from "./cache";
import { EngineError, type Note } from "./engine-error";
import type { Address, Native } from "./native";
import { allocateDataset, type PageMode, type PageRequest } from "./page-mode";
import { mib, thpResidentBytes } from "./resources";
import type { SearchThreads } from "./search-threads";
import { splitRange } from "./split-range";

/** Where the dataset's bytes came from: built from the cache here, or loaded from a file a build here wrote. */
export type DatasetSource = "built" | "loaded";

/**
 * What computes the items: the shim's vector code for k2pow's key, 8 or 4 items at once (several times faster), or
 * librandomx's own build, one at a time. "vectors" falls back to librandomx on a CPU without AVX2.
 */
export type DatasetBuilder = "vectors" | "librandomx";

const VECTOR_NAMES: Record<number, string> = { 8: "AVX-512", 4: "AVX2" };

export class Dataset {
  readonly items: number;
  readonly bytes: number;
  /** How it was made ready, and how long that took, once it is. */
  source: DatasetSource | null = null;
  seconds: number | null = null;
  /** What built the items, for one that was built: "AVX-512", "AVX2" or "librandomx". */
  builtWith: string | null = null;
  /** For transparent huge pages: how much of the process the kernel backs with them, once ready. */
  hugePageBytes: number | null = null;
  private address: Address | null;

  private constructor(
    private readonly native: Native,
    address: Address,
    readonly pages: PageMode,
  ) {
    this.address = address;
    this.items = Number(native.k2pow_dataset_items());
    this.bytes = Number(native.k2pow_dataset_bytes());
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

  /** Where its bytes start, for reading a file into them or writing them out. */
  get memory(): Address {
    const memory = this.native.k2pow_dataset_memory(this.pointer);
    if (memory === null) throw new EngineError("internal error: RandomX gave no dataset memory");
    return memory;
  }

  /**
   * Builds every item from `cache` on all `threads`; a failing thread stops the others within a chunk. Vector code
   * has librandomx build a few items of every chunk again and compare; a difference means a build by librandomx.
   */
  async build(threads: SearchThreads, cache: Cache, note: Note, builder: DatasetBuilder): Promise<void> {
    const started = performance.now();
    const lanes = builder === "vectors" ? this.native.k2pow_dataset_vector_lanes() : 0;
    this.source = null;
    this.seconds = null;
    this.builtWith = null;
    threads.shared.resetItemsBuilt();
    const slices = splitRange(0n, BigInt(this.items), threads.size);
    const replies = await threads.onEach(
      (thread, i) =>
        thread.request({ type: "build", cache: cache.pointer, dataset: this.pointer, start: Number(slices[i]!.start), count: Number(slices[i]!.count), lanes }),
      () => threads.shared.setStopBuild(true), // the others stop within a chunk instead of finishing for nothing
    );
    if (threads.shared.stopBuildRequested()) throw new EngineError("the dataset build was stopped");
    const mismatch = replies.map((r) => (r.type === "built" ? r.mismatch : null)).find((m) => m !== null);
    if (mismatch !== undefined) {
      note(`the dataset built with ${VECTOR_NAMES[lanes]} differed from librandomx's at item ${mismatch}; building it with librandomx instead`, "error");
      return this.build(threads, cache, note, "librandomx");
    }
    const built = threads.shared.totalItemsBuilt();
    if (built !== this.items) throw new EngineError(`internal error: ${built} of ${this.items} dataset items were built`);
    this.builtWith = VECTOR_NAMES[lanes] ?? "librandomx";
    const n = threads.size;
    note(`dataset built with ${this.builtWith} in ${this.ready("built", started)} on ${n} thread${n === 1 ? "" : "s"} (${this.pageNote()})`);
  }

  /**
   * Whether answers from it need the light checker's word: a loaded one may differ from what it was when checked,
   * and the vector code's items are compared with librandomx's only a few in every chunk.
   */
  get needsConfirming(): boolean {
    return this.source === "loaded" || this.vectorBuilt;
  }

  /** Whether the vector code built it: one that proves wrong is built again by librandomx. */
  get vectorBuilt(): boolean {
    return this.source === "built" && this.builtWith !== "librandomx";
  }

  /** Records that every byte is in place, and how; the time taken, as the log says it. */
  ready(source: DatasetSource, started: number): string {
    this.source = source;
    this.seconds = (performance.now() - started) / 1000;
    if (this.pages === "thp") this.hugePageBytes = thpResidentBytes();
    return `${this.seconds.toFixed(1)} s`;
  }

  pageNote(): string {
    return this.pages === "thp" ? `thp pages, ${mib(this.hugePageBytes ?? 0)} of it in huge pages` : `${this.pages} pages`;
  }

  free(): void {
    if (this.address !== null) this.native.k2pow_dataset_destroy(this.address);
    this.address = null;
  }
}
