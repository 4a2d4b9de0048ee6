// Memory shared between the engine and its search threads: stop flags read by the C loops, and per-thread
// counters written by them, so progress and hash rates are read without any message passing.

const FLAG_STOP_SEARCH = 0;
const FLAG_STOP_BUILD = 1;
const HEADER_BYTES = 16;
const SLOTS_PER_THREAD = 2; // hashes done, dataset items built

export class SharedState {
  readonly buffer: SharedArrayBuffer;
  readonly flags: Int32Array;
  /** The whole buffer as bytes, for handing addresses inside it to C. */
  readonly bytes: Uint8Array;
  private readonly counters: BigUint64Array;

  constructor(threadsOrBuffer: number | SharedArrayBuffer) {
    this.buffer =
      typeof threadsOrBuffer === "number"
        ? new SharedArrayBuffer(HEADER_BYTES + threadsOrBuffer * SLOTS_PER_THREAD * 8)
        : threadsOrBuffer;
    this.flags = new Int32Array(this.buffer, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(this.buffer);
    this.counters = new BigUint64Array(this.buffer, HEADER_BYTES);
  }

  get threads(): number {
    return this.counters.length / SLOTS_PER_THREAD;
  }

  /** Byte offset of the stop-search flag, for the C loop. */
  static readonly stopSearchOffset = FLAG_STOP_SEARCH * 4;

  /** Byte offset of a thread's hash counter, for the C loop. */
  hashCounterOffset(thread: number): number {
    return HEADER_BYTES + thread * SLOTS_PER_THREAD * 8;
  }

  setStopSearch(on: boolean): void {
    Atomics.store(this.flags, FLAG_STOP_SEARCH, on ? 1 : 0);
  }

  setStopBuild(on: boolean): void {
    Atomics.store(this.flags, FLAG_STOP_BUILD, on ? 1 : 0);
  }

  stopBuildRequested(): boolean {
    return Atomics.load(this.flags, FLAG_STOP_BUILD) !== 0;
  }

  hashes(thread: number): bigint {
    return Atomics.load(this.counters, thread * SLOTS_PER_THREAD);
  }

  totalHashes(): bigint {
    let sum = 0n;
    for (let t = 0; t < this.threads; t++) sum += this.hashes(t);
    return sum;
  }

  addItemsBuilt(thread: number, items: number): void {
    Atomics.add(this.counters, thread * SLOTS_PER_THREAD + 1, BigInt(items));
  }

  totalItemsBuilt(): number {
    let sum = 0n;
    for (let t = 0; t < this.threads; t++) sum += Atomics.load(this.counters, t * SLOTS_PER_THREAD + 1);
    return Number(sum);
  }
}
