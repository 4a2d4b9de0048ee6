// The engine's search threads: started together, each with its VM (which the thread itself creates, self-tests and
// frees), replaced when one dies, and ended together.
import { EngineError, SelfTestFailed } from "./engine-error";
import { RANDOMX_FLAG_LARGE_PAGES, type Address, type Native, type NativePaths } from "./native";
import { selfTestFailure } from "./self-test";
import { SearchThread } from "./search-thread";
import type { SharedState } from "./shared-state";

/** What the engine tells its threads: where to say what happened, and whether it is closing (no more replacements). */
export interface ThreadHooks {
  note: (message: string) => void;
  stopping: () => boolean;
}

/** What every thread's VM is made from. */
export interface VmSpec {
  flags: number;
  cache: Address | null;
  dataset: Address | null;
}

export class SearchThreads {
  private vmSpec: VmSpec | null = null;

  private constructor(
    private threads: SearchThread[],
    private readonly native: Native,
    private readonly workerUrl: URL | string,
    private readonly paths: NativePaths,
    readonly shared: SharedState,
    private readonly hooks: ThreadHooks,
  ) {}

  /** Starts `shared.threads` threads; when any fails to start, the others are ended and the first failure thrown. */
  static async start(native: Native, workerUrl: URL | string, paths: NativePaths, shared: SharedState, hooks: ThreadHooks): Promise<SearchThreads> {
    const started = await Promise.allSettled(
      Array.from({ length: shared.threads }, (_, i) => SearchThread.start(i, workerUrl, paths, shared.buffer)),
    );
    const threads = started.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const pool = new SearchThreads(threads, native, workerUrl, paths, shared, hooks);
    const failed = started.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed !== undefined) {
      await pool.end();
      throw failed.reason;
    }
    return pool;
  }

  get size(): number {
    return this.threads.length;
  }

  thread(i: number): SearchThread {
    return this.threads[i]!;
  }

  /**
   * Runs `work` on every thread (or the first `count`) and waits for all of them; then throws the first failure, so
   * nothing is left running. `onFailure` hears the first failure at once, to stop the others early.
   */
  async onEach<T>(work: (thread: SearchThread, i: number) => Promise<T>, onFailure?: () => void, count = this.size): Promise<T[]> {
    const outcomes = await Promise.allSettled(
      this.threads.slice(0, count).map((t, i) =>
        work(t, i).catch((err) => {
          onFailure?.();
          throw err;
        }),
      ),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
  }

  /** Every thread creates its VM from `spec` (scratchpads fall back to plain pages) and self-tests it. */
  async createVms(spec: VmSpec): Promise<void> {
    this.vmSpec = spec;
    await this.onEach((t) => this.createVm(t, spec));
  }

  /** Replaces threads that died, each with a fresh VM; false when none had. Closing is checked between threads. */
  async replaceCrashed(): Promise<boolean> {
    let any = false;
    for (const [i, thread] of this.threads.entries()) {
      if (thread.crashed === null || this.hooks.stopping()) continue;
      any = true;
      await this.replace(i);
    }
    return any;
  }

  /** Replaces thread `i`, which died. */
  async replace(i: number): Promise<void> {
    const dead = this.threads[i]!;
    this.hooks.note(`search thread ${i} stopped (${dead.crashed}); starting a new one`);
    dead.terminate();
    // The thread that made this VM is gone, and it was not inside the shim, so only its handle can free it.
    this.native.k2pow_vm_destroy(dead.vm);
    dead.vm = null;
    const spec = this.vmSpec;
    if (spec === null) throw new EngineError(`search thread ${i} stopped before its VM was made`);
    const fresh = await SearchThread.start(i, this.workerUrl, this.paths, this.shared.buffer);
    try {
      await this.createVm(fresh, spec);
    } catch (err) {
      await this.endOne(fresh);
      throw err;
    }
    if (this.hooks.stopping()) {
      await this.endOne(fresh);
      return;
    }
    this.threads[i] = fresh;
  }

  /** Asks every live thread to free its VM, then ends them all; a dead thread's VM is freed by its handle. */
  async end(): Promise<void> {
    await Promise.all(this.threads.map((t) => this.endOne(t)));
    this.threads = [];
  }

  private async createVm(thread: SearchThread, spec: VmSpec): Promise<void> {
    const vm = async (flags: number) => {
      const reply = await thread.request({ type: "vm", flags, cache: spec.cache, dataset: spec.dataset });
      if (reply.type !== "vm") throw new EngineError(`search thread ${thread.index} answered a VM request wrongly`);
      thread.vm = reply.address;
      const failure = selfTestFailure(`search thread ${thread.index}`, reply.selfTest);
      if (failure !== null) throw new SelfTestFailed(failure);
    };
    try {
      await vm(spec.flags);
    } catch (err) {
      if ((spec.flags & RANDOMX_FLAG_LARGE_PAGES) === 0 || thread.crashed !== null || thread.vm !== null) throw err;
      await vm(spec.flags & ~RANDOMX_FLAG_LARGE_PAGES);
    }
  }

  /** Lets a live thread free its VM, then ends it; the VM of a thread that had died is freed here. */
  private async endOne(thread: SearchThread): Promise<void> {
    if (thread.crashed !== null) {
      this.native.k2pow_vm_destroy(thread.vm);
    } else {
      // Only an idle thread is ever ended; should it still refuse, its VM is left rather than freed under it.
      await thread.request({ type: "close" }).catch(() => {});
    }
    thread.vm = null;
    thread.terminate();
  }
}
