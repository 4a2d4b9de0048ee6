// How fast an engine hashes: a search for a job that is never met, sampled after a warm-up, then stopped.
import type { Engine } from "./engine";
import { EngineError, SearchCancelled } from "./engine-error";

/** Before the window: the first hashes fault in scratchpads and JIT code. */
const WARMUP_MS = 1000;

export interface MeasureOptions {
  seconds: number;
  /** Search on only the first this many threads; default all. */
  threads?: number;
  /** Hears how far the window has got, 0..1, a few times a second. */
  onTick?: (fraction: number) => void;
  /** Runs at the end of the window, while the search still runs (e.g. to read resident memory). */
  beforeStop?: () => void;
}

/** Hashes per second over `seconds`. */
export async function measureHashRate(engine: Engine, options: MeasureOptions): Promise<number> {
  const difficulty = new Uint8Array(32);
  difficulty[31] = 1; // a hash below it has odds of 2^-256: the search runs until stopped
  const abort = new AbortController();
  const search = engine.search(
    { miner: new Uint8Array(32), nonceGroup: 0, challenge: new Uint8Array(8), difficulty },
    { threads: options.threads, signal: abort.signal },
  );
  search.catch(() => {});
  await Bun.sleep(WARMUP_MS);
  const windowMs = options.seconds * 1000;
  const h0 = engine.status().hashes;
  const t0 = performance.now();
  for (let elapsed = 0; elapsed < windowMs; elapsed = performance.now() - t0) {
    options.onTick?.(elapsed / windowMs);
    await Bun.sleep(Math.min(250, windowMs - elapsed));
  }
  const rate = (Number(engine.status().hashes - h0) * 1000) / (performance.now() - t0);
  options.beforeStop?.();
  abort.abort();
  const outcome = await search.then(
    () => new EngineError("the measuring job was met, which should never happen"),
    (err: Error) => (err instanceof SearchCancelled ? null : err),
  );
  if (outcome !== null) throw outcome;
  return rate;
}
