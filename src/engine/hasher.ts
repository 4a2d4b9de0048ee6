// A RandomX VM on the calling thread, for one-off hashes: re-checking every nonce before it is handed out, `verify`
// and `probe`. No Worker thread. The VM is created, used and freed on the thread that made the Hasher.
import { NONCE_LIMIT } from "../bytes/hex";
import { Cache } from "./cache";
import { EngineError } from "./engine-error";
import { HASH_SIZE, hashInput, INPUT_SIZE, meetsDifficulty, type K2powJob } from "./k2pow-rule";
import { openNative, RANDOMX_FLAG_LARGE_PAGES, type Address, type Native, type NativePaths } from "./native";
import { nativePaths } from "./native-paths";
import { KNOWN_INPUT, selfTestFailure } from "./self-test";

export class Hasher {
  private vm: Address | null;
  private readonly out = new Uint8Array(HASH_SIZE);

  /** A VM over `dataset` (fast) or else `cache` (light), self-tested; both stay owned by the caller. */
  constructor(
    private readonly native: Native,
    flags: number,
    cache: Address | null,
    dataset: Address | null,
    /** Freed with the VM: a cache this Hasher made for itself. */
    private readonly ownCache: Cache | null = null,
  ) {
    this.vm = native.k2pow_vm_create(flags, cache, dataset) ?? native.k2pow_vm_create(flags & ~RANDOMX_FLAG_LARGE_PAGES, cache, dataset);
    if (this.vm === null) throw new EngineError("RandomX could not create a VM for checking nonces (out of memory?)");
    const failure = selfTestFailure("the main thread", this.hash(KNOWN_INPUT));
    if (failure !== null) {
      this.close();
      throw new EngineError(failure);
    }
  }

  /**
   * A light-mode Hasher with a cache of its own, for commands that hash a few inputs: about a second to start
   * (filling the cache blocks the calling thread) and 256 MiB.
   */
  static light(paths: NativePaths = nativePaths): Hasher {
    const native = openNative(paths);
    const flags = native.k2pow_recommended_flags();
    const cache = Cache.allocate(native, flags, "thp", () => {});
    try {
      cache.fillHere();
      return new Hasher(native, flags, cache.pointer, null, cache);
    } catch (err) {
      cache.free();
      throw err;
    }
  }

  /** The RandomX hash of a 48-byte input (a fresh array). */
  hash(input: Uint8Array): Uint8Array {
    if (input.length !== INPUT_SIZE) throw new EngineError(`a k2pow input is ${INPUT_SIZE} bytes, got ${input.length}`);
    if (this.vm === null) throw new EngineError("the hasher is closed");
    if (this.native.k2pow_hash(this.vm, input, this.out) !== 0) throw new EngineError("the shim refused to hash");
    return this.out.slice();
  }

  /** Whether `nonce` is a valid answer to `job`: one hash. */
  verify(job: K2powJob, nonce: bigint): boolean {
    if (nonce < 0n || nonce >= NONCE_LIMIT) return false;
    return meetsDifficulty(this.hash(hashInput(job, nonce)), job.difficulty);
  }

  close(): void {
    if (this.vm !== null) this.native.k2pow_vm_destroy(this.vm);
    this.vm = null;
    this.ownCache?.free();
  }
}
