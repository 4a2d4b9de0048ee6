// The pool's checks of workers' nonces and shares, on RandomX threads of their own: the event loop that serves the
// HTTP API and the workers' connections never waits behind a hash. Checks queue up and go to idle threads in short
// batches; nonce checks (an answer to a job) go before share checks.
import { Engine, type RandomxMode } from "../engine/engine";
import { EngineError } from "../engine/engine-error";
import { HASH_SIZE, INPUT_SIZE } from "../engine/k2pow-rule";

export type CheckMode = "auto" | "fast" | "light";
export type CheckKind = "nonce" | "share";

export interface VerifierOptions {
  /** "auto": fast when the machine has the memory for the 2 GiB dataset (the engine's rule), else light. */
  mode: CheckMode;
  /** RandomX threads; default one per core. */
  threads?: number;
  /** The search thread's script; tests pass a wrapper around the real one. */
  workerUrl?: URL | string;
  /** Hears what the engine decided and why (mode, pages, a thread replaced). */
  onNote?: (message: string) => void;
}

/** A check that was still queued when the verifier closed: it was never decided, neither true nor false. */
export class VerifierClosed extends EngineError {
  override name = "VerifierClosed";
  constructor() {
    super("the verifier closed before this check ran");
  }
}

/**
 * A batch holds about this much hashing, so a nonce check waits at most about this long behind share checks already
 * on a thread, while the cost of a message per batch stays well under 1%.
 */
const BATCH_SECONDS = 0.05;
const MAX_BATCH = 64;
/** Hashes per thread once ready, so capacity() is known before the first real check. */
const CALIBRATION_HASHES = 4;
/** capacity() follows the last this many batches: recent enough to see the machine get busier. */
const MEASURED_BATCHES = 32;

interface Check {
  input: Uint8Array;
  target: Uint8Array;
  kind: CheckKind;
  /** A batch that failed (its thread died) is tried once more on a fresh thread before its checks fail. */
  retried: boolean;
  resolve: (passed: boolean) => void;
  reject: (err: Error) => void;
}

export class Verifier {
  /** Resolves once checks run and capacity() is known; rejects with an EngineError when RandomX cannot start. */
  readonly ready: Promise<void>;
  readonly mode: RandomxMode;

  private readonly engine: Engine;
  private readonly queues: Record<CheckKind, Check[]> = { nonce: [], share: [] };
  private readonly busy: boolean[];
  private running = 0;
  private nextThread = 0;
  private started = false;
  private closed = false;
  private failure: Error | null = null;
  private measured: { hashes: number; seconds: number }[] = [];
  private idleWaiters: (() => void)[] = [];

  /** Starts RandomX at once; throws an EngineError when the options cannot work here (fast mode without memory). */
  constructor(options: VerifierOptions) {
    this.engine = new Engine({ mode: options.mode, threads: options.threads, workerUrl: options.workerUrl, onNote: options.onNote });
    this.mode = this.engine.mode;
    this.busy = new Array<boolean>(this.engine.threads).fill(false);
    this.ready = this.start();
    // Callers learn of a failed start from `ready` and from check(); this keeps it from being unhandled.
    this.ready.catch(() => {});
  }

  /** Checks queued or running. */
  get pending(): number {
    return this.queues.nonce.length + this.queues.share.length + this.running;
  }

  /**
   * Whether RandomX(input) is below `target` (32 bytes, big-endian). Both are copied at once. Rejects with an
   * EngineError when the lengths are wrong, RandomX could not start, or the check could not be made (its thread died
   * twice); with VerifierClosed when close() came first.
   */
  check(input: Uint8Array, target: Uint8Array, kind: CheckKind): Promise<boolean> {
    if (this.closed) return Promise.reject(new VerifierClosed());
    if (this.failure !== null) return Promise.reject(this.failure);
    if (input.length !== INPUT_SIZE) return Promise.reject(new EngineError(`a k2pow input is ${INPUT_SIZE} bytes, got ${input.length}`));
    if (target.length !== HASH_SIZE) return Promise.reject(new EngineError(`a target is ${HASH_SIZE} bytes, got ${target.length}`));
    return new Promise((resolve, reject) => {
      this.queues[kind].push({ input: input.slice(), target: target.slice(), kind, retried: false, resolve, reject });
      this.dispatch();
    });
  }

  /** Checks per second the threads sustain together, from their recent batches; null until ready. */
  capacity(): number | null {
    const perThread = this.perThreadRate();
    return perThread === null ? null : perThread * this.busy.length;
  }

  /** Resolves when no check is queued or running. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Queued checks reject with VerifierClosed at once. Checks already on a thread (one short batch per thread) finish
   * and answer truly; then the threads end and RandomX's memory is freed. Every call waits for it.
   */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.failQueued(new VerifierClosed());
    }
    return this.engine.close();
  }

  private async start(): Promise<void> {
    try {
      await this.engine.ready;
      await this.calibrate();
      if (this.closed) throw new VerifierClosed();
    } catch (err) {
      this.failure = this.closed ? new VerifierClosed() : (err as Error);
      this.failQueued(this.failure);
      throw this.failure;
    }
    this.started = true;
    this.dispatch();
  }

  /** A few hashes on every thread, measured like real batches; every target is zero, so all fail. */
  private async calibrate(): Promise<void> {
    const inputs = new Uint8Array(CALIBRATION_HASHES * INPUT_SIZE);
    for (let i = 0; i < CALIBRATION_HASHES; i++) inputs[i * INPUT_SIZE] = i;
    const targets = new Uint8Array(CALIBRATION_HASHES * HASH_SIZE);
    const results = await Promise.all(this.busy.map((_, thread) => this.engine.check(thread, inputs, targets)));
    for (const { seconds } of results) this.measure(CALIBRATION_HASHES, seconds);
  }

  /** Sends a batch to every idle thread while checks are queued, taking threads in turn. */
  private dispatch(): void {
    if (!this.started || this.closed) return;
    const threads = this.busy.length;
    for (let tried = 0; tried < threads && this.queuedCount() > 0; tried++) {
      const thread = this.nextThread;
      this.nextThread = (thread + 1) % threads;
      if (!this.busy[thread]) void this.run(thread, this.take(this.batchSize()));
    }
  }

  private async run(thread: number, batch: Check[]): Promise<void> {
    this.busy[thread] = true;
    this.running += batch.length;
    const inputs = new Uint8Array(batch.length * INPUT_SIZE);
    const targets = new Uint8Array(batch.length * HASH_SIZE);
    batch.forEach((c, i) => {
      inputs.set(c.input, i * INPUT_SIZE);
      targets.set(c.target, i * HASH_SIZE);
    });
    try {
      const { passed, seconds } = await this.engine.check(thread, inputs, targets);
      this.measure(batch.length, seconds);
      batch.forEach((c, i) => c.resolve(passed[i]!));
    } catch (err) {
      this.retryOrFail(batch, err as Error);
    } finally {
      this.busy[thread] = false;
      this.running -= batch.length;
      this.dispatch();
      if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /**
   * A batch whose thread died goes back to the front of the queues once; the engine replaces the thread. One that
   * failed because the verifier closed was never decided.
   */
  private retryOrFail(batch: Check[], err: Error): void {
    if (this.closed) err = new VerifierClosed();
    const again = this.closed ? [] : batch.filter((c) => !c.retried);
    for (const c of batch) if (!again.includes(c)) c.reject(err);
    for (const c of again.reverse()) {
      c.retried = true;
      this.queues[c.kind].unshift(c);
    }
  }

  /** Up to `size` checks, nonces first. */
  private take(size: number): Check[] {
    const batch = this.queues.nonce.splice(0, size);
    return batch.concat(this.queues.share.splice(0, size - batch.length));
  }

  private queuedCount(): number {
    return this.queues.nonce.length + this.queues.share.length;
  }

  private batchSize(): number {
    const perThread = this.perThreadRate() ?? 0;
    return Math.max(1, Math.min(MAX_BATCH, Math.floor(perThread * BATCH_SECONDS)));
  }

  private measure(hashes: number, seconds: number): void {
    this.measured.push({ hashes, seconds });
    if (this.measured.length > MEASURED_BATCHES) this.measured.shift();
  }

  /** Hashes per second of hashing on one thread, over the recent batches of all threads. */
  private perThreadRate(): number | null {
    let hashes = 0;
    let seconds = 0;
    for (const m of this.measured) {
      hashes += m.hashes;
      seconds += m.seconds;
    }
    return hashes > 0 && seconds > 0 ? hashes / seconds : null;
  }

  private failQueued(err: Error): void {
    for (const c of this.queues.nonce.splice(0).concat(this.queues.share.splice(0))) c.reject(err);
    if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
