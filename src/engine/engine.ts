// The RandomX engine: owns the cache, the dataset and one VM per search thread for the life of the process (the
// key never changes), and runs k2pow searches on all threads. Knows nothing of HTTP or of jobs' bookkeeping.
import { availableParallelism } from "node:os";
import { EngineError, NoValidNonce, SearchCancelled } from "./engine-error";
import { HASH_SIZE, hashInput, INPUT_SIZE, isZero, meetsDifficulty, NONCE_LIMIT, type K2powJob } from "./k2pow-rule";
import { openNative, RANDOMX_FLAG_LARGE_PAGES, type Native, type NativePaths } from "./native";
import { nativePaths } from "./native-paths";
import { allocateDataset, type PageMode, type PageRequest } from "./page-mode";
import { availableMemory, hugetlbFree, mib, thpResidentBytes } from "./resources";
import { SearchThread } from "./search-thread";
import { SharedState } from "./shared-state";

export type RandomxMode = "fast" | "light";
export type ModeRequest = RandomxMode | "auto";
export type EnginePhase = "starting" | "dataset" | "ready" | "failed" | "closed";

export interface EngineOptions {
  /** Default "auto": fast when the machine has the memory for the dataset, else light. */
  mode?: ModeRequest;
  /** Search threads; 0 or absent: one per core. */
  threads?: number;
  /** Page size for the dataset (fast) or cache (light); default "auto": the fastest that can be had. */
  pages?: PageRequest;
  paths?: NativePaths;
  /** The search thread's script; tests pass a wrapper around the real one. */
  workerUrl?: URL | string;
  /** Hears what the engine decided and why (mode, page size, build time). */
  onNote?: (message: string) => void;
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
  pages: PageMode | null;
  /** For transparent huge pages: how much of this process the kernel actually backs with them. */
  hugePageBytes: number | null;
  dataset: { items: number; itemsBuilt: number; seconds: number | null } | null;
  /** Hashes done since start, all threads. */
  hashes: bigint;
  searching: { hashes: bigint; seconds: number } | null;
  error: string | null;
}

export const CACHE_BYTES = 256 * 1024 * 1024;
export const SCRATCHPAD_BYTES = 2 * 1024 * 1024;
/** Room for the runtime itself, its Workers and JIT code, beside RandomX's own memory. */
export const RUNTIME_BYTES = 150 * 1024 * 1024;

export class Engine {
  readonly mode: RandomxMode;
  readonly threads: number;
  /** Resolves when searches can run; rejects with an EngineError when the engine could not start. */
  readonly ready: Promise<void>;

  private readonly native: Native;
  private readonly paths: NativePaths;
  private readonly workerUrl: URL | string;
  private readonly shared: SharedState;
  private readonly note: (message: string) => void;
  private pool: SearchThread[] = [];
  private phase: EnginePhase = "starting";
  /** Set by close(): whatever is starting or running stops at its next step. */
  private closing: Promise<void> | null = null;
  private failure: string | null = null;
  private pages: PageMode | null = null;
  private hugePageBytes: number | null = null;
  private cache: number | null = null;
  private dataset: number | null = null;
  private datasetItems = 0;
  private datasetSeconds: number | null = null;
  private vmFlags = 0;
  private checkVm: number | null = null;
  private running: { promise: Promise<unknown>; started: number; hashesBefore: bigint } | null = null;
  /** Check batches in flight, by thread. */
  private checking = new Map<number, Promise<CheckResult>>();

  /** Starts building at once; throws an EngineError when the options cannot work on this machine. */
  constructor(options: EngineOptions = {}) {
    this.note = options.onNote ?? (() => {});
    this.threads = resolveThreads(options.threads);
    this.paths = options.paths ?? nativePaths;
    this.workerUrl = options.workerUrl ?? new URL("./search-worker.ts", import.meta.url);
    this.native = openNative(this.paths);
    this.mode = this.chooseMode(options.mode ?? "auto");
    this.shared = new SharedState(this.threads);
    this.ready = this.start(options.pages ?? "auto");
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
      pages: this.pages,
      hugePageBytes: this.hugePageBytes,
      dataset:
        this.mode === "fast"
          ? { items: this.datasetItems, itemsBuilt: this.shared.totalItemsBuilt(), seconds: this.datasetSeconds }
          : null,
      hashes,
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
    try {
      await this.ready;
    } catch (err) {
      throw this.closing ? new SearchCancelled() : err;
    }
    if (this.closing) throw new SearchCancelled();
    if (this.phase !== "ready") throw new EngineError(`the engine is ${this.phase}`);
    if (this.running !== null) throw new EngineError("a search is already running; one at a time");
    if (this.checking.size > 0) throw new EngineError("check batches are running; a search waits until they end");
    if (options.signal?.aborted) throw new SearchCancelled();
    const started = performance.now();
    const hashesBefore = this.shared.totalHashes();
    // A thread that died while idle is replaced now rather than failing this job.
    const shares = options.shareTarget && options.onShare ? { target: options.shareTarget.slice(), onShare: options.onShare } : null;
    if (shares !== null && shares.target.length !== HASH_SIZE) throw new EngineError("a share target must be 32 bytes");
    const promise = this.restartCrashedThreads().then(() => this.runSearch(job, start, count, threads, options.signal, shares));
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
    if (input.length !== INPUT_SIZE) throw new EngineError(`a k2pow input is ${INPUT_SIZE} bytes, got ${input.length}`);
    if (this.checkVm === null) throw new EngineError(`the engine is ${this.phase}, not ready to hash`);
    const out = new Uint8Array(HASH_SIZE);
    if (this.native.k2pow_hash(this.checkVm, input, out) !== 0) throw new EngineError("the shim refused to hash");
    return out;
  }

  /** Whether `nonce` is a valid answer to `job`: one hash. */
  verify(job: K2powJob, nonce: bigint): boolean {
    if (nonce < 0n || nonce >= NONCE_LIMIT) return false;
    return meetsDifficulty(this.hash(hashInput(job, nonce)), job.difficulty);
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

  /** Stops any search and build, ends the threads and frees the dataset and cache. Every call waits for it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.shared.setStopBuild(true);
      this.shared.setStopSearch(true);
      // A check batch is short and cannot be stopped midway; a thread still busy with one would refuse to free its VM.
      await Promise.allSettled([this.ready, this.running?.promise, ...this.checking.values()]);
      await this.endThreads();
      this.phase = "closed";
      this.freeNative();
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

  private async start(pages: PageRequest): Promise<void> {
    try {
      const started = await Promise.allSettled(
        Array.from({ length: this.threads }, (_, i) => SearchThread.start(i, this.workerUrl, this.paths, this.shared.buffer)),
      );
      this.pool = started.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
      throwFirstFailure(started);
      const flags = this.native.k2pow_recommended_flags();
      if (this.mode === "fast") {
        this.cache = await this.createCache(flags, false);
        await this.buildDataset(pages);
        // Fast-mode VMs read only the dataset: the cache's 256 MiB can go.
        this.native.k2pow_cache_destroy(this.cache);
        this.cache = null;
      } else {
        this.pages = this.lightPages(pages);
        this.cache = await this.createCache(flags, this.pages === "hugetlb", pages === "hugetlb");
      }
      this.vmFlags = flags | (this.pages === "hugetlb" ? RANDOMX_FLAG_LARGE_PAGES : 0);
      throwFirstFailure(await Promise.allSettled(this.pool.map((t) => this.createThreadVm(t))));
      if (this.closing) throw new EngineError("closed while starting");
      this.checkVm = this.createLocalVm();
      this.phase = "ready";
      this.note(`${this.mode} mode ready: ${plural(this.threads, "thread")}, ${this.pages} pages`);
    } catch (err) {
      const message = err instanceof EngineError ? err.message : `engine start failed: ${(err as Error).message}`;
      // When closing, close() cleans up once this has settled. Otherwise every thread has settled its last
      // request by now (nothing is still using the cache or dataset), so they can go and the memory with them.
      if (!this.closing) {
        this.phase = "failed";
        this.failure = message;
        await this.endThreads();
        this.freeNative();
      }
      throw new EngineError(message);
    }
  }

  /** Light mode puts its cache in reserved huge pages when asked or when enough are free; nothing else helps it. */
  private lightPages(request: PageRequest): PageMode {
    if (request === "hugetlb" || (request === "auto" && hugetlbFree().bytes >= CACHE_BYTES)) return "hugetlb";
    if (request === "thp") this.note("light mode: transparent huge pages apply to the fast-mode dataset only");
    return "plain";
  }

  private async createCache(flags: number, largePages: boolean, required = false): Promise<number> {
    const request = async (f: number) => {
      const reply = await this.pool[0]!.request({ type: "cache", flags: f });
      if (reply.type !== "pointer") throw new EngineError("search thread 0 answered a cache request wrongly");
      return reply.value;
    };
    if (!largePages) return request(flags);
    try {
      return await request(flags | RANDOMX_FLAG_LARGE_PAGES);
    } catch {
      const { bytes } = hugetlbFree();
      if (required) {
        throw new EngineError(`cannot allocate the 256 MiB cache in hugetlb pages (${mib(bytes)} free); raise vm.nr_hugepages`);
      }
      this.note("cache: reserved huge pages could not be had; using plain pages");
      this.pages = "plain";
      return request(flags);
    }
  }

  private async buildDataset(pages: PageRequest): Promise<void> {
    this.phase = "dataset";
    const { dataset, pages: got } = allocateDataset(this.native, pages, this.note);
    this.dataset = dataset;
    this.pages = got;
    this.datasetItems = Number(this.native.k2pow_dataset_items());
    const started = performance.now();
    const slices = split(0n, BigInt(this.datasetItems), this.threads);
    const built = await Promise.allSettled(
      this.pool.map((t, i) =>
        t
          .request({ type: "build", cache: this.cache!, dataset, start: Number(slices[i]!.start), count: Number(slices[i]!.count) })
          .catch((err) => {
            this.shared.setStopBuild(true); // the others stop within a chunk instead of finishing for nothing
            throw err;
          }),
      ),
    );
    throwFirstFailure(built);
    if (this.closing) throw new EngineError("closed while building the dataset");
    const itemsBuilt = this.shared.totalItemsBuilt();
    if (itemsBuilt !== this.datasetItems) {
      throw new EngineError(`internal error: ${itemsBuilt} of ${this.datasetItems} dataset items were built`);
    }
    this.datasetSeconds = (performance.now() - started) / 1000;
    let pageNote = `${got} pages`;
    if (got === "thp") {
      this.hugePageBytes = thpResidentBytes();
      pageNote += `, ${mib(this.hugePageBytes)} of it in huge pages`;
    }
    this.note(`dataset built in ${this.datasetSeconds.toFixed(1)} s on ${plural(this.threads, "thread")} (${pageNote})`);
  }

  /** A VM for a search thread; scratchpads fall back to plain pages when reserved ones run out. */
  private async createThreadVm(thread: SearchThread): Promise<void> {
    const vm = async (flags: number) => {
      const reply = await thread.request({ type: "vm", flags, cache: this.cache, dataset: this.dataset });
      if (reply.type !== "pointer") throw new EngineError(`search thread ${thread.index} answered a VM request wrongly`);
      thread.vm = reply.value;
    };
    try {
      await vm(this.vmFlags);
    } catch (err) {
      if ((this.vmFlags & RANDOMX_FLAG_LARGE_PAGES) === 0) throw err;
      await vm(this.vmFlags & ~RANDOMX_FLAG_LARGE_PAGES);
    }
  }

  private async runCheck(index: number, inputs: Uint8Array, targets: Uint8Array): Promise<CheckResult> {
    const closed = () => new EngineError("the engine is closed");
    try {
      await this.ready;
    } catch (err) {
      throw this.closing ? closed() : err;
    }
    if (this.closing) throw closed();
    if (this.running !== null) throw new EngineError("a search is running; checks wait until it ends");
    if (this.pool[index]!.crashed !== null) await this.restartThread(index);
    if (this.closing) throw closed();
    const reply = await this.pool[index]!.request({ type: "check", inputs, targets });
    if (reply.type !== "checked") throw new EngineError(`search thread ${index} answered a check wrongly`);
    return { passed: Array.from(reply.passed, (p) => p === 1), seconds: reply.seconds };
  }

  private createLocalVm(): number {
    const vm =
      this.native.k2pow_vm_create(this.vmFlags, this.cache, this.dataset) ??
      this.native.k2pow_vm_create(this.vmFlags & ~RANDOMX_FLAG_LARGE_PAGES, this.cache, this.dataset);
    if (vm === null) throw new EngineError("RandomX could not create a VM for checking nonces (out of memory?)");
    return vm;
  }

  private async runSearch(
    job: K2powJob,
    start: bigint,
    count: bigint,
    threads: number,
    signal: AbortSignal | undefined,
    shares: { target: Uint8Array; onShare: (nonce: bigint) => void } | null,
  ): Promise<bigint> {
    // In one step with no await: a cancel or close that came before this point must not be undone by the reset.
    if (this.closing || signal?.aborted) throw new SearchCancelled();
    this.shared.setStopSearch(false);
    const stop = () => this.shared.setStopSearch(true);
    signal?.addEventListener("abort", stop);
    const input = hashInput(job);
    const slices = split(start, count, threads);
    try {
      const outcomes = await Promise.allSettled(
        this.pool.slice(0, threads).map(async (thread, i) => {
          const { start: s, count: c } = slices[i]!;
          if (c === 0n) return null;
          thread.onShare = shares?.onShare ?? null;
          try {
            const reply = await thread.request({
              type: "search",
              input,
              difficulty: job.difficulty,
              shareTarget: shares?.target ?? null,
              start: s,
              count: c,
            });
            if (reply.type !== "searched") throw new EngineError(`search thread ${i} answered wrongly`);
            if (reply.outcome === "found") stop();
            return reply.outcome === "found" ? reply.nonce : null;
          } catch (err) {
            stop();
            throw err;
          } finally {
            thread.onShare = null;
          }
        }),
      );
      const found = outcomes.flatMap((o) => (o.status === "fulfilled" && o.value !== null ? [o.value] : []));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
      if (failed !== undefined) {
        const cause = (failed.reason as Error).message;
        let restarted: boolean;
        try {
          restarted = await this.restartCrashedThreads();
        } catch (err) {
          throw new EngineError(`${cause}; restarting it failed too: ${(err as Error).message}`);
        }
        // A nonce another thread found is still good; only without one does the failure reach the caller.
        if (found.length === 0) {
          throw new EngineError(`${cause}${restarted ? "; the thread was restarted, retry the job" : ""}`, { retryable: restarted });
        }
      }
      if (found.length > 0) {
        const nonce = found.reduce((a, b) => (b < a ? b : a));
        // Never hand out a nonce that one plain hash does not confirm.
        if (!this.verify(job, nonce)) {
          throw new EngineError(`internal error: nonce ${nonce} failed its re-check and was not returned`);
        }
        return nonce;
      }
      if (signal?.aborted || this.closing) throw new SearchCancelled();
      throw new NoValidNonce(`no valid nonce in nonces ${start}..${start + count - 1n}`);
    } finally {
      signal?.removeEventListener("abort", stop);
    }
  }

  /** Replaces threads that died, with a fresh VM each; false when none had. */
  private async restartCrashedThreads(): Promise<boolean> {
    let any = false;
    for (const [i, thread] of this.pool.entries()) {
      if (thread.crashed === null || this.closing) continue;
      any = true;
      await this.restartThread(i);
    }
    return any;
  }

  /** Replaces thread `i`, which died, with a fresh one and a fresh VM; when closing meanwhile, the fresh one goes too. */
  private async restartThread(i: number): Promise<void> {
    const thread = this.pool[i]!;
    this.note(`search thread ${i} stopped (${thread.crashed}); starting a new one`);
    thread.terminate();
    // The dead thread's JavaScript is gone and it was not inside the shim, so its VM is free to release here.
    this.native.k2pow_vm_destroy(thread.vm);
    thread.vm = null;
    const fresh = await SearchThread.start(i, this.workerUrl, this.paths, this.shared.buffer);
    try {
      await this.createThreadVm(fresh);
    } catch (err) {
      fresh.terminate();
      throw err;
    }
    if (this.closing) {
      fresh.terminate();
      this.native.k2pow_vm_destroy(fresh.vm);
      return;
    }
    this.pool[i] = fresh;
  }

  /** Asks every live thread to free its VM, then ends them all. */
  private async endThreads(): Promise<void> {
    await Promise.allSettled(this.pool.map((t) => t.request({ type: "close" })));
    for (const thread of this.pool) thread.terminate();
    this.pool = [];
  }

  private freeNative(): void {
    if (this.checkVm !== null) this.native.k2pow_vm_destroy(this.checkVm);
    if (this.dataset !== null) this.native.k2pow_dataset_destroy(this.dataset);
    if (this.cache !== null) this.native.k2pow_cache_destroy(this.cache);
    this.checkVm = this.dataset = this.cache = null;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function resolveThreads(threads: number | undefined): number {
  if (threads === undefined || threads === 0) return availableParallelism();
  if (!Number.isInteger(threads) || threads < 0 || threads > 1024) {
    throw new EngineError(`thread count must be a whole number from 0 (all cores) to 1024, got ${threads}`);
  }
  return threads;
}

function copyJob(job: K2powJob): K2powJob {
  return { miner: job.miner.slice(), nonceGroup: job.nonceGroup, challenge: job.challenge.slice(), difficulty: job.difficulty.slice() };
}

/** Throws the first failure among settled outcomes; used once every outcome is in, so nothing is left running. */
function throwFirstFailure(outcomes: PromiseSettledResult<unknown>[]): void {
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed !== undefined) throw failed.reason;
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

/** [start, start+count) cut into `parts` contiguous slices; the last takes the remainder. */
function split(start: bigint, count: bigint, parts: number): { start: bigint; count: bigint }[] {
  const each = count / BigInt(parts);
  return Array.from({ length: parts }, (_, i) => ({
    start: start + each * BigInt(i),
    count: i === parts - 1 ? count - each * BigInt(parts - 1) : each,
  }));
}
