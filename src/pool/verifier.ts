// The pool's checks of workers' nonces and shares, on RandomX threads of their own: the event loop that serves the
import type { DatasetBuilder } from "../engine/dataset";
// HTTP API and the workers' connections never waits behind a hash. Checks queue up and go to idle threads in short
// batches; nonce checks (an answer to a job) go before share checks. Checks run in light mode from the first second;
// where fast mode is wanted, its dataset is loaded or built meanwhile, and checks move to it once it is ready.
import { Engine, type RandomxMode } from "../engine/engine";
import { EngineError, type Note } from "../engine/engine-error";
import { HASH_SIZE, INPUT_SIZE } from "../engine/k2pow-rule";

export type CheckMode = "auto" | "fast" | "light";
/** Nonce checks go first, then share checks; spare ones only when neither waits (the verifier's spare time). */
export type CheckKind = "nonce" | "share" | "spare";
/** The order checks are taken in. */
const PRIORITY: readonly CheckKind[] = ["nonce", "share", "spare"];

export interface VerifierOptions {
  /** "auto": fast when the machine has the memory for the 2 GiB dataset (the engine's rule), else light. */
  mode: CheckMode;
  /** RandomX threads; default one per core. */
  threads?: number;
  /** The search thread's script; tests pass a wrapper around the real one. */
  workerUrl?: URL | string;
  /** Hears what the engine decided and why (mode, pages, a thread replaced). */
  onNote?: Note;
  /** Where the fast-mode dataset is kept between starts (see EngineOptions.datasetFile). */
  datasetFile?: string | null;
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
/** Hashes per thread once an engine is ready, so capacity() is known before the first real check on it. */
const CALIBRATION_HASHES = 4;
/** capacity() follows the last this many batches: recent enough to see the machine get busier. */
const MEASURED_BATCHES = 32;

/** One engine's threads as the verifier uses them, and what its recent batches took. */
class Lane {
  readonly busy: boolean[];
  running = 0;
  nextThread = 0;
  measured: { hashes: number; seconds: number }[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(readonly engine: Engine) {
    this.busy = new Array<boolean>(engine.threads).fill(false);
  }

  measure(hashes: number, seconds: number): void {
    this.measured.push({ hashes, seconds });
    if (this.measured.length > MEASURED_BATCHES) this.measured.shift();
  }

  /** Hashes per second of hashing on one thread, over the recent batches of all threads. */
  perThreadRate(): number | null {
    let hashes = 0;
    let seconds = 0;
    for (const m of this.measured) {
      hashes += m.hashes;
      seconds += m.seconds;
    }
    return hashes > 0 && seconds > 0 ? hashes / seconds : null;
  }

  /** Resolves when none of its batches runs. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  batchDone(count: number): void {
    this.running -= count;
    if (this.running === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

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
  /**
   * Resolves once checks run in the mode they stay in: fast once its dataset is ready (loaded or built), where fast
   * was asked for or chosen; light otherwise, or when fast could not start (a note says why). Never rejects.
   */
  settled: Promise<void>;

  private readonly options: VerifierOptions;
  private readonly note: Note;
  /** The engine checks go to; null while none is ready. */
  private active: Lane | null = null;
  /** Every engine made and not yet closed: close() waits for them all. */
  private readonly engines = new Set<Engine>();
  /** What builds a fast engine's dataset: the vector code, until a dataset it built proves wrong. */
  private builder: DatasetBuilder = "vectors";
  private readonly queues: Record<CheckKind, Check[]> = { nonce: [], share: [], spare: [] };
  private closed = false;
  private failure: Error | null = null;
  private idleWaiters: (() => void)[] = [];
  private lanesRunning = 0;

  /** Starts RandomX at once; throws an EngineError when the options cannot work here (fast mode without memory). */
  constructor(options: VerifierOptions) {
    this.options = options;
    this.note = options.onNote ?? (() => {});
    // "auto" without the memory for the dataset chooses light: then that engine is the only one. Otherwise the fast
    // one starts once the light one is ready (a second or two), so that it does not slow the first checks down.
    let lightReady!: (value?: unknown) => void;
    const lightStarted = new Promise((resolve) => (lightReady = resolve));
    const wanted = options.mode === "light" ? null : this.engine(options.mode, lightStarted);
    let first: Engine;
    try {
      first = wanted !== null && wanted.mode === "light" ? wanted : this.engine("light");
    } catch (err) {
      lightReady();
      void wanted?.close();
      throw err;
    }
    if (first === wanted) lightReady();
    const fast = wanted !== null && wanted !== first ? wanted : null;
    this.ready = this.start(first);
    void this.ready.then(
      () => lightReady(),
      () => lightReady(),
    );
    // Callers learn of a failed start from `ready` and from check(); this keeps it from being unhandled.
    this.ready.catch(() => {});
    this.settled = fast === null ? this.ready.catch(() => {}) : this.ready.then(() => this.upgrade(fast), () => this.retire(fast));
  }

  /** The mode checks run in now: light until a fast dataset is ready. */
  get mode(): RandomxMode {
    return this.active?.engine.mode ?? "light";
  }

  /** Checks queued or running, but spare ones queued: what a new check waits behind. */
  get pending(): number {
    return this.queues.nonce.length + this.queues.share.length + this.lanesRunning;
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
    const perThread = this.active?.perThreadRate() ?? null;
    return perThread === null ? null : perThread * this.active!.busy.length;
  }

  /** Resolves when no check is queued or running, spare ones included. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Queued checks reject with VerifierClosed at once. Checks already on a thread (one short batch per thread) finish
   * and answer truly; then the threads end and RandomX's memory is freed. Every call waits for it.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.failQueued(new VerifierClosed());
    }
    while (this.engines.size > 0) await Promise.all([...this.engines].map((e) => this.retire(e)));
  }

  private engine(mode: CheckMode, startAfter?: Promise<unknown>): Engine {
    const { threads, workerUrl, datasetFile } = this.options;
    const engine = new Engine({
      mode,
      threads,
      workerUrl,
      onNote: this.note,
      datasetFile: mode === "light" ? null : datasetFile,
      datasetBuilder: this.builder,
      startAfter,
    });
    this.engines.add(engine);
    return engine;
  }

  /** Closes an engine (its batches finish first) and forgets it. */
  private async retire(engine: Engine): Promise<void> {
    await engine.close();
    this.engines.delete(engine);
  }

  private async start(engine: Engine): Promise<void> {
    try {
      await engine.ready;
      const lane = await this.calibrate(engine);
      if (this.closed) throw new VerifierClosed();
      this.active = lane;
    } catch (err) {
      this.failure = this.closed ? new VerifierClosed() : (err as Error);
      this.failQueued(this.failure);
      throw this.failure;
    }
    this.dispatch();
  }

  /**
   * Moves checks to `fast` once its dataset is ready; the light engine ends once its last batch has. A fast engine
   * that cannot start leaves checks in light mode, with a note why.
   */
  private async upgrade(fast: Engine): Promise<void> {
    let lane: Lane;
    try {
      await fast.ready;
      lane = await this.calibrate(fast);
    } catch (err) {
      if (!this.closed) this.note(`fast mode could not start (${(err as Error).message}); checks stay in light mode`, "warn");
      await this.retire(fast);
      return;
    }
    if (this.closed) return;
    const previous = this.active;
    this.active = lane;
    const rate = Math.round(this.capacity() ?? 0);
    const dataset = fast.status().dataset;
    const origin = dataset?.source === "loaded" ? "loaded from its file" : `built with ${dataset?.builtWith}`;
    this.note(`now in fast mode (dataset ${origin}), about ${rate} checks a second`);
    this.dispatch();
    if (previous !== null) {
      await previous.idle();
      await this.retire(previous.engine);
    }
  }

  /**
   * A dataset that needs confirming (loaded, or vector-built) answered a nonce check otherwise than the light
   * checker: its file is gone (the engine removed it), checks go back to light mode, and a fresh fast engine builds
   * the dataset (with librandomx, if the vector code built the wrong one) and takes over.
   */
  private distrust(lane: Lane, why: string): void {
    if (lane.engine.datasetVectorBuilt) this.builder = "librandomx"; // never the vector code again
    lane.engine.datasetWrong(why);
    if (this.active !== lane || this.closed) return;
    this.active = null;
    const retired = lane.idle().then(() => this.retire(lane.engine));
    let light: Engine;
    try {
      light = this.engine("light");
    } catch (err) {
      this.failure = err as Error;
      this.failQueued(this.failure);
      return;
    }
    // The new fast engine is made only once the wrong one's 2 GiB are freed, in the mode asked for at start; one
    // that cannot start leaves checks in light mode.
    this.settled = this.start(light).then(
      async () => {
        await retired;
        if (this.closed) return;
        let fast: Engine;
        try {
          fast = this.engine(this.options.mode);
        } catch (err) {
          this.note(`fast mode could not start again (${(err as Error).message}); checks stay in light mode`, "warn");
          return;
        }
        if (fast.mode === "light") await this.retire(fast);
        else await this.upgrade(fast);
      },
      () => {},
    );
  }

  /** A few hashes on every thread of `engine`, measured like real batches; every target is zero, so all fail. */
  private async calibrate(engine: Engine): Promise<Lane> {
    const lane = new Lane(engine);
    const inputs = new Uint8Array(CALIBRATION_HASHES * INPUT_SIZE);
    for (let i = 0; i < CALIBRATION_HASHES; i++) inputs[i * INPUT_SIZE] = i;
    const targets = new Uint8Array(CALIBRATION_HASHES * HASH_SIZE);
    const results = await Promise.all(lane.busy.map((_, thread) => engine.check(thread, inputs, targets)));
    for (const { seconds } of results) lane.measure(CALIBRATION_HASHES, seconds);
    return lane;
  }

  /** Sends a batch to every idle thread of the active engine while checks are queued, taking threads in turn. */
  private dispatch(): void {
    const lane = this.active;
    if (lane === null || this.closed) return;
    const threads = lane.busy.length;
    for (let tried = 0; tried < threads && this.queuedCount() > 0; tried++) {
      const thread = lane.nextThread;
      lane.nextThread = (thread + 1) % threads;
      if (!lane.busy[thread]) void this.run(lane, thread, this.take(this.batchSize(lane)));
    }
  }

  private async run(lane: Lane, thread: number, batch: Check[]): Promise<void> {
    lane.busy[thread] = true;
    lane.running += batch.length;
    this.lanesRunning += batch.length;
    const inputs = new Uint8Array(batch.length * INPUT_SIZE);
    const targets = new Uint8Array(batch.length * HASH_SIZE);
    batch.forEach((c, i) => {
      inputs.set(c.input, i * INPUT_SIZE);
      targets.set(c.target, i * HASH_SIZE);
    });
    try {
      const { passed, seconds } = await lane.engine.check(thread, inputs, targets);
      lane.measure(batch.length, seconds);
      this.confirmNonces(lane, batch, passed);
      batch.forEach((c, i) => c.resolve(passed[i]!));
    } catch (err) {
      this.retryOrFail(batch, err as Error);
    } finally {
      lane.busy[thread] = false;
      lane.batchDone(batch.length);
      this.lanesRunning -= batch.length;
      this.dispatch();
      if (this.isIdle()) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /**
   * An answer to a job is handed to post-service: on a dataset that needs confirming, the light checker has the last
   * word on it (tens of milliseconds, once a job). Shares are many, and only weigh a worker's record.
   */
  private confirmNonces(lane: Lane, batch: Check[], passed: boolean[]): void {
    if (!lane.engine.answersConfirmed) return;
    batch.forEach((c, i) => {
      if (c.kind !== "nonce") return;
      const truth = lane.engine.confirm(c.input, c.target);
      if (truth === passed[i]) return;
      passed[i] = truth;
      this.distrust(lane, `a nonce check came out ${truth ? "failed" : "passed"} on it and ${truth ? "passed" : "failed"} on the light-mode re-check`);
    });
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

  /** Up to `size` checks, nonces first, spare ones last. */
  private take(size: number): Check[] {
    const batch: Check[] = [];
    for (const kind of PRIORITY) batch.push(...this.queues[kind].splice(0, size - batch.length));
    return batch;
  }

  private queuedCount(): number {
    return PRIORITY.reduce((n, kind) => n + this.queues[kind].length, 0);
  }

  private isIdle(): boolean {
    return this.queuedCount() === 0 && this.lanesRunning === 0;
  }

  private batchSize(lane: Lane): number {
    const perThread = lane.perThreadRate() ?? 0;
    return Math.max(1, Math.min(MAX_BATCH, Math.floor(perThread * BATCH_SECONDS)));
  }

  private failQueued(err: Error): void {
    for (const c of PRIORITY.flatMap((kind) => this.queues[kind].splice(0))) c.reject(err);
    if (this.isIdle()) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
