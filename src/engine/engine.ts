// The RandomX engine: a thin front over the resources it owns for the life of the process (the key never changes):
// the cache, the dataset and its file, the search threads with their VMs, and a hasher on this thread. Runs one
// search at a time on all threads. Knows nothing of HTTP or of jobs' bookkeeping.
import { availableParallelism } from "node:os";
import { NONCE_LIMIT } from "../bytes/hex";
import { Cache, CACHE_BYTES, type CachePages } from "./cache";
import { threadsFromCaches } from "./cache-threads";
import { Dataset, type DatasetBuilder, type DatasetSource } from "./dataset";
import { DatasetStore, type SaveState } from "./dataset-store";
import { EngineError, NoValidNonce, SearchCancelled, SelfTestFailed, type Note } from "./engine-error";
import { Hasher } from "./hasher";
import { HASH_SIZE, INPUT_SIZE, isZero, meetsDifficulty, type K2powJob } from "./k2pow-rule";
import { openNative, RANDOMX_FLAG_LARGE_PAGES, type Native, type NativePaths } from "./native";
import { nativePaths, randomxVersion } from "./native-paths";
import type { PageMode, PageRequest } from "./page-mode";
import { availableMemory, hugetlbFree, mib } from "./resources";
import { CHUNK, Search } from "./search";
import { SearchThreads } from "./search-threads";
import { SharedState } from "./shared-state";

export type RandomxMode = "fast" | "light";
export type ModeRequest = RandomxMode | "auto";
export type EnginePhase = "starting" | "dataset" | "ready" | "failed" | "closed";

export interface EngineOptions {
  /** Default "auto": fast when the machine has the memory for the dataset, else light. */
  mode?: ModeRequest;
  /** Search threads; 0 or absent: as many as the CPU's caches feed (about 2 MiB each), at most one per logical CPU. */
  threads?: number;
  /** Page size for the dataset (fast) or cache (light); default "auto": the fastest that can be had. */
  pages?: PageRequest;
  paths?: NativePaths;
  /** The search thread's script; tests pass a wrapper around the real one. */
  workerUrl?: URL | string;
  /** Hears what the engine decided and why (mode, page size, build time). */
  onNote?: Note;
  /**
   * Fast mode: a file to load the dataset from instead of building it, and to save it to after a build; absent or
   * null: none. A loaded dataset's answers are each re-checked with a light-mode hasher before they are returned.
   */
  datasetFile?: string | null;
  /**
   * What builds the dataset's items; default "vectors": the shim's vector code where the CPU has AVX2 or AVX-512,
   * its answers then each re-checked as a loaded dataset's are. "librandomx": its own build, one item at a time.
   */
  datasetBuilder?: DatasetBuilder;
  /** Start only once this settles (the mode and threads are still chosen at once): for an engine that must not take
   * the CPU from another one's start. */
  startAfter?: Promise<unknown>;
}

export interface SearchOptions {
  /** First nonce of the range to search; default 0. */
  start?: bigint;
  /** Nonces in the range; default: up to 2^56. */
  count?: bigint;
  /** Search on only the first this many threads (the others idle); default all. For measuring scaling. */
  threads?: number;
  signal?: AbortSignal;
  /** An easier target than the job's: every nonce whose hash is below it goes to onShare (proof of work done). */
  shareTarget?: Uint8Array;
  onShare?: (nonce: bigint) => void;
}

export interface SearchResult {
  nonce: bigint;
  /** Hashes done by all threads for this search. */
  hashes: bigint;
  seconds: number;
}

export interface CheckResult {
  /** Per input of the batch, in order: whether its hash is below its target. */
  passed: boolean[];
  /** Time the thread spent hashing the batch. */
  seconds: number;
}

export interface EngineStatus {
  phase: EnginePhase;
  mode: RandomxMode;
  threads: number;
  threadsReason: string;
  pages: PageMode | null;
  /** For transparent huge pages: how much of this process the kernel actually backs with them. */
  hugePageBytes: number | null;
  dataset: {
    items: number;
    /** Items built, or read from the file, so far. */
    itemsBuilt: number;
    /** How long it took to be ready, by `source`; null until then. */
    seconds: number | null;
    source: DatasetSource | null;
    /** What built it ("AVX-512", "AVX2", "librandomx"), when it was built here. */
    builtWith: string | null;
    /** True while it is read from the file rather than built. */
    loading: boolean;
    file: { path: string; save: SaveState } | null;
  } | null;
  /** Hashes done since start, all threads. */
  hashes: bigint;
  /** The same, per search thread. */
  hashesByThread: bigint[];
  /** Search threads that ended on their own; each is started again before the next search. */
  stoppedThreads: number[];
  searching: { hashes: bigint; seconds: number } | null;
  error: string | null;
}

export const SCRATCHPAD_BYTES = 2 * 1024 * 1024;
/** Room for the runtime itself, its Workers and JIT code, beside RandomX's own memory. */
export const RUNTIME_BYTES = 150 * 1024 * 1024;

export class Engine {
  readonly mode: RandomxMode;
  readonly threads: number;
  /** How the thread count was chosen, in one line. */
  readonly threadsReason: string;
  /** Resolves when searches can run; rejects with an EngineError when the engine could not start. */
  readonly ready: Promise<void>;

  private readonly native: Native;
  private readonly paths: NativePaths;
  private readonly workerUrl: URL | string;
  private readonly shared: SharedState;
  private readonly note: Note;
  private pool: SearchThreads | null = null;
  private cache: Cache | null = null;
  private dataset: Dataset | null = null;
  private hasher: Hasher | null = null;
  private readonly store: DatasetStore | null;
  /** With a dataset loaded from a file: a light-mode VM over the cache, which re-checks answers independently of it. */
  private lightChecker: Hasher | null = null;
  private phase: EnginePhase = "starting";
  /** Set by close(): whatever is starting or running stops at its next step. */
  private closing: Promise<void> | null = null;
  private failure: string | null = null;
  private pages: PageMode | null = null;
  private readonly builder: DatasetBuilder;
  private running: { promise: Promise<unknown>; started: number; hashesBefore: bigint } | null = null;
  /** Check batches in flight, by thread. */
  private checking = new Map<number, Promise<CheckResult>>();

  /** Starts building at once; throws an EngineError when the options cannot work on this machine. */
  constructor(options: EngineOptions = {}) {
    this.note = options.onNote ?? (() => {});
    ({ threads: this.threads, reason: this.threadsReason } = resolveThreads(options.threads));
    // A count the user set needs no explaining; one read from the caches does.
    if (!options.threads) this.note(this.threadsReason);
    this.paths = options.paths ?? nativePaths;
    this.workerUrl = options.workerUrl ?? new URL("./search-worker.ts", import.meta.url);
    this.native = openNative(this.paths);
    this.mode = this.chooseMode(options.mode ?? "auto");
    this.builder = options.datasetBuilder ?? "vectors";
    this.store =
      this.mode === "fast" && options.datasetFile
        ? new DatasetStore(options.datasetFile, this.native, { librandomx: randomxVersion(), bytes: Number(this.native.k2pow_dataset_bytes()) }, this.note)
        : null;
    this.shared = new SharedState(this.threads);
    this.ready = this.start(options.pages ?? "auto", options.startAfter);
    // Callers learn of a failed start from `ready`, status() and search(); this keeps it from being unhandled.
    this.ready.catch(() => {});
  }

  status(): EngineStatus {
    const running = this.running;
    const hashes = this.shared.totalHashes();
    return {
      phase: this.phase,
      mode: this.mode,
      threads: this.threads,
      threadsReason: this.threadsReason,
      pages: this.pages,
      hugePageBytes: this.dataset?.hugePageBytes ?? null,
      dataset:
        this.mode === "fast"
          ? {
              items: this.dataset?.items ?? 0,
              itemsBuilt: this.shared.totalItemsBuilt(),
              seconds: this.dataset?.seconds ?? null,
              source: this.dataset?.source ?? null,
              builtWith: this.dataset?.builtWith ?? null,
              loading: this.store?.loading ?? false,
              file: this.store && { path: this.store.path, save: this.store.saveState },
            }
          : null,
      hashes,
      hashesByThread: Array.from({ length: this.threads }, (_, t) => this.shared.hashes(t)),
      stoppedThreads: this.pool === null ? [] : Array.from({ length: this.pool.size }, (_, t) => t).filter((t) => this.pool!.thread(t).crashed !== null),
      searching: running
        ? { hashes: hashes - running.hashesBefore, seconds: (performance.now() - running.started) / 1000 }
        : null,
      error: this.failure,
    };
  }

  /**
   * Finds a valid nonce for `job` in the range, on all threads. The nonce is re-checked with a single hash before
   * it is returned. Rejects with SearchCancelled when `signal` aborts first, or an EngineError.
   */
  async search(request: K2powJob, options: SearchOptions = {}): Promise<SearchResult> {
    if (this.closing) throw new EngineError("the engine is closed");
    // The caller's arrays could change while the search runs; the job searched and re-checked must not.
    const job = copyJob(request);
    checkJob(job);
    const start = options.start ?? 0n;
    const count = options.count ?? NONCE_LIMIT - start;
    if (start < 0n || count <= 0n || start + count > NONCE_LIMIT) {
      throw new EngineError(`nonce range ${start}+${count} is not inside 0..2^56`);
    }
    const threads = options.threads ?? this.threads;
    if (!Number.isInteger(threads) || threads < 1 || threads > this.threads) {
      throw new EngineError(`a search can use 1 to ${this.threads} threads, not ${threads}`);
    }
    const shares = options.shareTarget && options.onShare ? { target: options.shareTarget.slice(), onShare: options.onShare } : null;
    if (shares !== null && shares.target.length !== HASH_SIZE) throw new EngineError("a share target must be 32 bytes");
    await this.whenReady(() => new SearchCancelled());
    if (this.running !== null) throw new EngineError("a search is already running; one at a time");
    if (this.checking.size > 0) throw new EngineError("check batches are running; a search waits until they end");
    if (options.signal?.aborted) throw new SearchCancelled();
    const started = performance.now();
    const hashesBefore = this.shared.totalHashes();
    const promise = this.searchChecked(() => new Search(this.pool!, job, start, count, threads, CHUNK[this.mode], shares), job, options.signal);
    this.running = { promise, started, hashesBefore };
    try {
      const nonce = await promise;
      return { nonce, hashes: this.shared.totalHashes() - hashesBefore, seconds: (performance.now() - started) / 1000 };
    } finally {
      this.running = null;
    }
  }

  /** The RandomX hash of a 48-byte input, on the calling thread. */
  hash(input: Uint8Array): Uint8Array {
    if (this.hasher === null) throw new EngineError(`the engine is ${this.phase}, not ready to hash`);
    return this.hasher.hash(input);
  }

  /** Whether `nonce` is a valid answer to `job`: one hash. */
  verify(job: K2powJob, nonce: bigint): boolean {
    if (this.hasher === null) throw new EngineError(`the engine is ${this.phase}, not ready to hash`);
    return this.hasher.verify(job, nonce);
  }

  /**
   * Whether RandomX(input) is below `target`, by a hash that does not rest on a dataset read from a file: the light
   * checker's where the dataset was loaded (tens of milliseconds, on this thread), else this thread's VM. For
   * answers handed to someone; a dataset it shows wrong is removed from disk (see datasetWrong).
   */
  confirm(input: Uint8Array, target: Uint8Array): boolean {
    const independent = this.lightChecker ?? this.hasher;
    if (independent === null) throw new EngineError(`the engine is ${this.phase}, not ready to hash`);
    return meetsDifficulty(independent.hash(input), target);
  }

  /** Resolves once the dataset file a build started writing is written, or failed to be (a note says which). */
  async datasetSaved(): Promise<void> {
    await this.store?.saved();
  }

  /**
   * Whether this engine's answers rest on the light checker's word (see confirm()): its dataset came from a file or
   * from the vector build, which librandomx spot-checks only.
   */
  get answersConfirmed(): boolean {
    return this.dataset?.needsConfirming ?? false;
  }

  /** Whether the vector code built this engine's dataset (see Dataset.vectorBuilt). */
  get datasetVectorBuilt(): boolean {
    return this.dataset?.vectorBuilt ?? false;
  }

  /**
   * A dataset that needs confirming gave a hash the light checker contradicts: says so loudly, and its file (the one
   * it was loaded from or saved to) is removed. The dataset in memory stays wrong until rebuilt; search() rebuilds it
   * itself, other callers stop using this engine.
   */
  datasetWrong(why: string): void {
    const dataset = this.dataset;
    if (dataset === null) return;
    const what = dataset.source === "loaded" ? `loaded from ${this.store?.path}` : `built with ${dataset.builtWith}`;
    const file = this.store?.discard() ?? "";
    const how = this.rebuilder(dataset) === "librandomx" && this.builder !== "librandomx" ? " with librandomx" : "";
    this.note(`the dataset ${what} is wrong (${why})${file}; building it again${how}`, "error");
  }


  /**
   * Hashes each 48-byte input of `inputs` on search thread `thread` and tells, per input, whether its hash is below
   * the 32-byte target at the same place in `targets` (the rule of meetsDifficulty). A thread takes one batch at a
   * time, and none while a search runs; a thread that died is replaced first.
   */
  check(thread: number, inputs: Uint8Array, targets: Uint8Array): Promise<CheckResult> {
    if (this.closing) return Promise.reject(new EngineError("the engine is closed"));
    const count = inputs.length / INPUT_SIZE;
    if (!Number.isInteger(count) || count < 1) {
      return Promise.reject(new EngineError(`a check batch is one or more ${INPUT_SIZE}-byte inputs, got ${inputs.length} bytes`));
    }
    if (targets.length !== count * HASH_SIZE) {
      return Promise.reject(new EngineError(`${count} inputs need ${count * HASH_SIZE} bytes of targets, got ${targets.length}`));
    }
    if (!Number.isInteger(thread) || thread < 0 || thread >= this.threads) {
      return Promise.reject(new EngineError(`the engine's threads are 0 to ${this.threads - 1}, not ${thread}`));
    }
    if (this.checking.has(thread)) return Promise.reject(new EngineError(`search thread ${thread} is already checking a batch`));
    // Copied now: the caller's arrays could change while the thread is being replaced or the engine starts.
    const promise = this.runCheck(thread, inputs.slice(), targets.slice()).finally(() => this.checking.delete(thread));
    // Registered at once, so that close() waits for it and a search started meanwhile is refused.
    this.checking.set(thread, promise);
    return promise;
  }

  /** Stops any search and build, ends the threads and frees the hasher, dataset and cache. Every call waits for it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.shared.setStopBuild(true);
      this.shared.setStopSearch(true);
      // A check batch is short and cannot be stopped midway; a thread still busy with one would refuse to free its VM.
      await Promise.allSettled([this.ready, this.running?.promise, ...this.checking.values()]);
      // A save in progress reads the dataset: it stops (its temporary file removed) before the dataset is freed.
      await this.store?.close();
      this.phase = "closed";
      await this.release();
    })();
    return this.closing;
  }

  private chooseMode(request: ModeRequest): RandomxMode {
    if (request === "light") return "light";
    const need = Number(this.native.k2pow_dataset_bytes()) + CACHE_BYTES + SCRATCHPAD_BYTES * (this.threads + 1) + RUNTIME_BYTES;
    const available = availableMemory();
    if (available >= need) return "fast";
    const shortBy = `fast mode needs about ${mib(need)}, ${mib(available)} available`;
    if (request === "fast") throw new EngineError(`${shortBy}; use --randomx-mode light (about 5-10x slower)`);
    this.note(`${shortBy}: using light mode (about 5-10x slower)`);
    return "light";
  }

  /** Waits for the start; a start cut short by close() is `cancelled()`. */
  private async whenReady(cancelled: () => Error): Promise<void> {
    try {
      await this.ready;
    } catch (err) {
      throw this.closing ? cancelled() : err;
    }
    if (this.closing) throw cancelled();
    if (this.phase !== "ready") throw new EngineError(`the engine is ${this.phase}`);
  }

  private async start(pages: PageRequest, after: Promise<unknown> | undefined): Promise<void> {
    try {
      await after?.catch(() => {});
      if (this.closing) throw new EngineError("closed while starting");
      this.pool = await SearchThreads.start(this.native, this.workerUrl, this.paths, this.shared, {
        note: this.note,
        stopping: () => this.closing !== null,
      });
      const flags = this.native.k2pow_recommended_flags();
      // Fast mode's cache stays on plain pages: the dataset's count of huge pages (the whole process's) stays its own.
      const cachePages = this.mode === "light" ? this.lightPages(pages) : "plain";
      const cache = Cache.allocate(this.native, flags, cachePages, this.note, pages === "hugetlb");
      this.cache = cache;
      // Filled on a search thread: about a second that this thread's event loop stays free for. A dataset file is
      // read meanwhile by the other threads (a load needs the cache only for the light re-check of answers).
      const filling = this.pool.thread(0).request({ type: "init-cache", cache: cache.pointer });
      let loaded = false;
      try {
        if (this.mode === "fast") {
          this.phase = "dataset";
          this.dataset = Dataset.allocate(this.native, pages, this.note);
          this.pages = this.dataset.pages;
          const stopping = () => this.closing !== null;
          loaded = this.store !== null && (await this.store.load(this.dataset, this.pool, stopping, filling));
        } else {
          this.pages = cache.pages;
        }
      } finally {
        // Whatever happened, the cache is not freed while thread 0 still fills it.
        await filling.catch(() => {});
      }
      await filling;
      if (this.mode === "fast" && !loaded) await this.dataset!.build(this.pool, cache, this.note, this.builder);
      if (this.closing) throw new EngineError("closed while starting");
      const vmFlags = flags | (this.pages === "hugetlb" ? RANDOMX_FLAG_LARGE_PAGES : 0);
      const spec = { flags: vmFlags, cache: this.mode === "light" ? cache.pointer : null, dataset: this.dataset?.pointer ?? null };
      try {
        await this.pool.createVms(spec);
      } catch (err) {
        // A file can hold a dataset whose checksums match and whose bytes are still not RandomX's; built, it is. Any
        // other failure to make a VM (memory, JIT) is no fault of the file's.
        if (!this.answersConfirmed || this.closing || !(err instanceof SelfTestFailed)) throw err;
        this.datasetWrong((err as Error).message);
        await this.rebuild();
        await this.pool.createVms(spec);
      }
      this.hasher = new Hasher(this.native, spec.flags, spec.cache, spec.dataset);
      this.afterDataset(flags);
      this.phase = "ready";
      this.note(`${this.mode} mode ready: ${plural(this.threads, "thread")}, ${this.pages} pages, self-test passed`);
    } catch (err) {
      const message = err instanceof EngineError ? err.message : `engine start failed: ${(err as Error).message}`;
      // When closing, close() cleans up once this has settled. Otherwise every thread has settled its last
      // request by now (nothing is still using the cache or dataset), so they can go and the memory with them.
      if (!this.closing) {
        this.phase = "failed";
        this.failure = message;
        await this.release();
      }
      throw new EngineError(message);
    }
  }

  /**
   * Light mode puts its cache in reserved huge pages when asked or when enough are free, else in transparent huge
   * pages unless plain pages are asked for.
   */
  private lightPages(request: PageRequest): CachePages {
    if (request === "hugetlb" || (request === "auto" && hugetlbFree().bytes >= CACHE_BYTES)) return "hugetlb";
    return request === "plain" ? "plain" : "thp";
  }

  private async runCheck(index: number, inputs: Uint8Array, targets: Uint8Array): Promise<CheckResult> {
    const closed = () => new EngineError("the engine is closed");
    await this.whenReady(closed);
    if (this.running !== null) throw new EngineError("a search is running; checks wait until it ends");
    const pool = this.pool!;
    if (pool.thread(index).crashed !== null) await pool.replace(index);
    if (this.closing) throw closed();
    const reply = await pool.thread(index).request({ type: "check", inputs, targets });
    if (reply.type !== "checked") throw new EngineError(`search thread ${index} answered a check wrongly`);
    return { passed: Array.from(reply.passed, (p) => p === 1), seconds: reply.seconds };
  }

  /**
   * A dataset built here is written to its file. One built by librandomx is kept with just the VMs: the cache's
   * 256 MiB can go. One that needs confirming keeps the cache for a light-mode checker of its answers.
   */
  private afterDataset(flags: number): void {
    const dataset = this.dataset;
    if (dataset === null || this.cache === null) return;
    if (dataset.source === "built") this.store?.save(dataset);
    if (dataset.needsConfirming) {
      this.lightChecker ??= new Hasher(this.native, flags, this.cache.pointer, null);
      return;
    }
    this.lightChecker?.close();
    this.lightChecker = null;
    this.cache.free();
    this.cache = null;
  }

  /** What rebuilds a dataset that proved wrong: never the vector code that built it. */
  private rebuilder(dataset: Dataset): DatasetBuilder {
    return dataset.vectorBuilt ? "librandomx" : this.builder;
  }

  /**
   * Builds the dataset again over one that proved wrong; the threads' VMs keep pointing at the same memory. A build
   * that fails leaves the engine failed, saying why, as a failed start does.
   */
  private async rebuild(): Promise<void> {
    const previous = this.phase;
    const builder = this.rebuilder(this.dataset!);
    this.phase = "dataset";
    try {
      await this.dataset!.build(this.pool!, this.cache!, this.note, builder);
    } catch (err) {
      if (this.closing) throw err;
      this.phase = "failed";
      this.failure = `rebuilding the dataset failed: ${(err as Error).message}`;
      throw new EngineError(this.failure);
    }
    this.phase = previous;
  }

  /**
   * Runs the search; a nonce found on a loaded dataset must also pass the light checker. One that does not shows the
   * dataset wrong: the file goes, the dataset is built again, and the same range is searched again from its start.
   */
  private async searchChecked(search: () => Search, job: K2powJob, signal: AbortSignal | undefined): Promise<bigint> {
    for (;;) {
      const nonce = await this.runSearch(search(), job, signal);
      if (this.lightChecker === null || this.lightChecker.verify(job, nonce)) return nonce;
      this.datasetWrong(`it gave nonce ${nonce} as valid for a job, and the light-mode re-check found its hash is not below the difficulty`);
      await this.rebuild();
      this.afterDataset(this.native.k2pow_recommended_flags());
      if (this.closing || signal?.aborted) throw new SearchCancelled();
    }
  }

  private async runSearch(search: Search, job: K2powJob, signal: AbortSignal | undefined): Promise<bigint> {
    const pool = this.pool!;
    // A thread that died while idle is replaced now rather than failing this job.
    await pool.replaceCrashed();
    // In one step with no await before run(): a cancel or close that came first must not be undone by its reset.
    if (this.closing || signal?.aborted) throw new SearchCancelled();
    const { nonce, failure, searchedUpTo } = await search.run(signal);
    if (failure !== null) {
      let restarted: boolean;
      try {
        restarted = await pool.replaceCrashed();
      } catch (err) {
        throw new EngineError(`${failure}; restarting it failed too: ${(err as Error).message}`);
      }
      // A nonce another thread found is still good; only without one does the failure reach the caller.
      if (nonce === null) {
        throw new EngineError(`${failure}${restarted ? "; the thread was restarted, retry the job" : ""}`, { retryable: restarted });
      }
    }
    if (nonce !== null) {
      // Never hand out a nonce that one plain hash does not confirm.
      if (!this.verify(job, nonce)) throw new EngineError(`internal error: nonce ${nonce} failed its re-check and was not returned`);
      return nonce;
    }
    if (signal?.aborted || this.closing) throw new SearchCancelled(searchedUpTo);
    throw new NoValidNonce(`no valid nonce in nonces ${search.start}..${search.start + search.count - 1n}`);
  }

  /** Ends the threads (each frees its VM), then frees the hasher, the dataset and the cache, all on this thread. */
  private async release(): Promise<void> {
    await this.pool?.end();
    this.pool = null;
    this.hasher?.close();
    this.lightChecker?.close();
    this.lightChecker = null;
    this.dataset?.free();
    this.cache?.free();
    this.hasher = null;
    this.dataset = null;
    this.cache = null;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function resolveThreads(threads: number | undefined): { threads: number; reason: string } {
  if (threads === undefined || threads === 0) return threadsFromCaches("/", availableParallelism());
  if (!Number.isInteger(threads) || threads < 0 || threads > 1024) {
    throw new EngineError(`thread count must be a whole number from 0 (sized from the CPU's caches) to 1024, got ${threads}`);
  }
  return { threads, reason: `${plural(threads, "thread")}, as configured` };
}

function copyJob(job: K2powJob): K2powJob {
  return { miner: job.miner.slice(), nonceGroup: job.nonceGroup, challenge: job.challenge.slice(), difficulty: job.difficulty.slice() };
}

function checkJob(job: K2powJob): void {
  if (job.miner.length !== 32) throw new EngineError("miner must be 32 bytes");
  if (job.challenge.length !== 8) throw new EngineError("challenge must be 8 bytes");
  if (job.difficulty.length !== 32) throw new EngineError("difficulty must be 32 bytes");
  if (!Number.isInteger(job.nonceGroup) || job.nonceGroup < 0 || job.nonceGroup > 255) {
    throw new EngineError("nonce group must be 0..255");
  }
  if (isZero(job.difficulty)) throw new EngineError("difficulty is zero: no hash is below it, so no nonce exists");
}
