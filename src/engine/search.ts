// One search: a range of nonces shared by the threads, which claim it chunk by chunk from a counter in shared
// memory, so no thread idles while the range has nonces left, however unevenly the cores are loaded.
import { EngineError } from "./engine-error";
import { hashInput, type K2powJob } from "./k2pow-rule";
import type { SearchThreads } from "./search-threads";

/**
 * Nonces per chunk: about 0.1 s of one thread's work (fast mode ~300-400 hashes/s per thread, light ~30-40), so a
 * range's last chunks finish close together and a claim costs nothing next to the hashing.
 */
export const CHUNK = { fast: 32n, light: 4n } as const;

export interface ShareWatch {
  target: Uint8Array;
  onShare: (nonce: bigint) => void;
}

export interface SearchOutcome {
  /** The smallest valid nonce the threads found, or null. */
  nonce: bigint | null;
  /** Why a thread failed, when one did. */
  failure: string | null;
  /** Every nonce from the range's start up to this one was hashed. */
  searchedUpTo: bigint;
}

export class Search {
  private readonly chunk: bigint;

  constructor(
    private readonly threads: SearchThreads,
    private readonly job: K2powJob,
    readonly start: bigint,
    readonly count: bigint,
    private readonly threadCount: number,
    chunk: bigint,
    private readonly shares: ShareWatch | null,
  ) {
    // A small range still gives every thread several chunks.
    const fair = count / BigInt(threadCount * 4);
    this.chunk = fair < 1n ? 1n : fair < chunk ? fair : chunk;
  }

  /** Runs on the first `threadCount` threads until the range is used up, a nonce is found or `signal` aborts. */
  async run(signal: AbortSignal | undefined): Promise<SearchOutcome> {
    const shared = this.threads.shared;
    shared.setStopSearch(false);
    shared.beginRange(this.start, this.start + this.count);
    const stop = () => shared.setStopSearch(true);
    signal?.addEventListener("abort", stop);
    const input = hashInput(this.job);
    const found: bigint[] = [];
    let failure: string | null = null;
    try {
      await this.threads
        .onEach(
          async (thread, i) => {
            thread.onShare = this.shares?.onShare ?? null;
            try {
              const reply = await thread.request({
                type: "search",
                input,
                difficulty: this.job.difficulty,
                shareTarget: this.shares?.target ?? null,
                chunk: this.chunk,
              });
              if (reply.type !== "searched") throw new EngineError(`search thread ${i} answered wrongly`);
              if (reply.outcome === "found") {
                found.push(reply.nonce);
                stop();
              }
            } finally {
              thread.onShare = null;
            }
          },
          stop,
          this.threadCount,
        )
        .catch((err: Error) => {
          failure = err.message;
        });
    } finally {
      signal?.removeEventListener("abort", stop);
    }
    const nonce = found.length === 0 ? null : found.reduce((a, b) => (b < a ? b : a));
    return { nonce, failure, searchedUpTo: shared.searchedUpTo() };
  }
}
