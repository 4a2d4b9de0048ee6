// Memory shared between the engine and its search threads: stop flags read by the C loops, the running search's
// nonce counter from which threads claim chunks, and per-thread counters written by the C loops, so progress and
// hash rates are read without any message passing.

const FLAG_STOP_SEARCH = 0;
const FLAG_STOP_BUILD = 1;
const FLAGS_BYTES = 16;
const NEXT_NONCE = 0; // the first nonce no thread has claimed yet
const RANGE_END = 1; // one past the last nonce of the running search's range
const NEXT_PIECE = 2; // the first piece of a dataset file no thread has claimed yet
const HEADER_BYTES = FLAGS_BYTES + 3 * 8;
const SLOTS_PER_THREAD = 3; // hashes done, dataset items built, start of the chunk being searched
const HASHES = 0;
const ITEMS = 1;
const CHUNK = 2;
/** A thread's chunk slot when it holds no unfinished chunk. */
const NO_CHUNK = (1n << 64n) - 1n;

export class SharedState {
  readonly buffer: SharedArrayBuffer;
  readonly flags: Int32Array;
  /** The whole buffer as bytes, for handing addresses inside it to C. */
  readonly bytes: Uint8Array;
  private readonly range: BigUint64Array;
  private readonly counters: BigUint64Array;

  constructor(threadsOrBuffer: number | SharedArrayBuffer) {
    this.buffer =
      typeof threadsOrBuffer === "number"
        ? new SharedArrayBuffer(HEADER_BYTES + threadsOrBuffer * SLOTS_PER_THREAD * 8)
        : threadsOrBuffer;
    this.flags = new Int32Array(this.buffer, 0, FLAGS_BYTES / 4);
    this.bytes = new Uint8Array(this.buffer);
    this.range = new BigUint64Array(this.buffer, FLAGS_BYTES, 3);
    this.counters = new BigUint64Array(this.buffer, HEADER_BYTES);
  }

  get threads(): number {
    return this.counters.length / SLOTS_PER_THREAD;
  }

  /** Byte offset of the stop-search flag, for the C loop. */
  static readonly stopSearchOffset = FLAG_STOP_SEARCH * 4;

  /** Byte offset of a thread's hash counter, for the C loop. */
  hashCounterOffset(thread: number): number {
    return HEADER_BYTES + (thread * SLOTS_PER_THREAD + HASHES) * 8;
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

  /** Before threads read a dataset file: every piece unclaimed. */
  beginPieces(): void {
    Atomics.store(this.range, NEXT_PIECE, 0n);
  }

  /** The next piece of the dataset file for the calling thread to read; each is handed out once. */
  claimPiece(): number {
    return Number(Atomics.add(this.range, NEXT_PIECE, 1n));
  }

  /** Sets up the range [start, end) for a search; called while no thread searches. */
  beginRange(start: bigint, end: bigint): void {
    Atomics.store(this.range, NEXT_NONCE, start);
    Atomics.store(this.range, RANGE_END, end);
    for (let t = 0; t < this.threads; t++) Atomics.store(this.counters, t * SLOTS_PER_THREAD + CHUNK, NO_CHUNK);
  }

  rangeEnd(): bigint {
    return Atomics.load(this.range, RANGE_END);
  }

  /**
   * Claims the next `size` nonces of the range for `thread`: the first of them, or null once the range is used up.
   * Until the thread calls chunkDone, its chunk counts as unfinished.
   */
  claimChunk(thread: number, size: bigint): bigint | null {
    const slot = thread * SLOTS_PER_THREAD + CHUNK;
    // Marked unfinished before the counter moves on, so that no reader ever sees the chunk as searched too early.
    Atomics.store(this.counters, slot, Atomics.load(this.range, NEXT_NONCE));
    const first = Atomics.add(this.range, NEXT_NONCE, size);
    if (first >= this.rangeEnd()) {
      Atomics.store(this.counters, slot, NO_CHUNK);
      return null;
    }
    Atomics.store(this.counters, slot, first);
    return first;
  }

  chunkDone(thread: number): void {
    Atomics.store(this.counters, thread * SLOTS_PER_THREAD + CHUNK, NO_CHUNK);
  }

  /**
   * The end of the range's searched prefix: every nonce from the range's start up to (not including) it was hashed.
   * Exact once the threads have stopped; while they run, never more than what was hashed.
   */
  searchedUpTo(): bigint {
    const end = this.rangeEnd();
    let upTo = Atomics.load(this.range, NEXT_NONCE);
    if (upTo > end) upTo = end;
    for (let t = 0; t < this.threads; t++) {
      const chunk = Atomics.load(this.counters, t * SLOTS_PER_THREAD + CHUNK);
      if (chunk < upTo) upTo = chunk;
    }
    return upTo;
  }

  hashes(thread: number): bigint {
    return Atomics.load(this.counters, thread * SLOTS_PER_THREAD + HASHES);
  }

  totalHashes(): bigint {
    let sum = 0n;
    for (let t = 0; t < this.threads; t++) sum += this.hashes(t);
    return sum;
  }

  addItemsBuilt(thread: number, items: number): void {
    Atomics.add(this.counters, thread * SLOTS_PER_THREAD + ITEMS, BigInt(items));
  }

  /** Zero again, before a build that follows a load which did not complete; only while no thread builds or loads. */
  resetItemsBuilt(): void {
    for (let t = 0; t < this.threads; t++) Atomics.store(this.counters, t * SLOTS_PER_THREAD + ITEMS, 0n);
  }

  totalItemsBuilt(): number {
    let sum = 0n;
    for (let t = 0; t < this.threads; t++) sum += Atomics.load(this.counters, t * SLOTS_PER_THREAD + ITEMS);
    return Number(sum);
  }
}
