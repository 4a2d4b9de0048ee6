// A search thread: creates one RandomX VM, uses it for searches and checks, and frees it. It also fills the cache
// and builds its share of the dataset (or reads it from a dataset file), both allocated and freed by the engine.
// Replies to each request exactly once.
import { ptr } from "bun:ffi";
import { readPieces } from "./dataset-file";
import { HASH_SIZE, INPUT_SIZE, meetsDifficulty, setNonce } from "./k2pow-rule";
import { MISMATCH, openNative, SEARCH_STATUS, type Native } from "./native";
import { KNOWN_INPUT } from "./self-test";
import { SharedState } from "./shared-state";
import type { ThreadNotice, ThreadReply, ThreadRequest } from "./thread-messages";

declare const self: Worker;

/** Dataset items per native call while building: 0.02–0.1 s of work, so a stop request is seen quickly. */
const BUILD_CHUNK = 65_536;

let native: Native | null = null;
let shared: SharedState | null = null;
let thread = 0;
let vm: number | null = null;
const nonceOut = new BigUint64Array(1);
const mismatchOut = new BigUint64Array(1);
const hashOut = new Uint8Array(HASH_SIZE);

function reply(message: ThreadReply | ThreadNotice): void {
  self.postMessage(message);
}

function need<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`search thread used before ${what}`);
  return value;
}

function build(cache: number, dataset: number, start: number, count: number, lanes: number): ThreadReply {
  const lib = need(native, "open");
  const state = need(shared, "open");
  for (let done = 0; done < count && !state.stopBuildRequested(); ) {
    const n = Math.min(BUILD_CHUNK, count - done);
    const status =
      lanes === 0
        ? lib.k2pow_dataset_build(dataset, cache, start + done, n)
        : lib.k2pow_dataset_build_vectors(dataset, cache, start + done, n, lanes, mismatchOut);
    if (status === MISMATCH) return { type: "built", mismatch: Number(mismatchOut[0]) };
    if (status !== 0) throw new Error(`dataset items ${start + done}..${start + done + n} rejected by the shim`);
    state.addItemsBuilt(thread, n);
    done += n;
  }
  return { type: "built", mismatch: null };
}

/** Searches chunks claimed from the shared counter until the range is used up, a nonce is found or a stop. */
function search(input: Uint8Array, difficulty: Uint8Array, shareTarget: Uint8Array | null, chunk: bigint): ThreadReply {
  const state = need(shared, "open");
  const end = state.rangeEnd();
  for (;;) {
    const first = state.claimChunk(thread, chunk);
    if (first === null) return { type: "searched", outcome: "exhausted", nonce: 0n };
    const last = first + chunk < end ? first + chunk : end;
    const outcome = searchSpan(input, difficulty, shareTarget, first, last);
    // A chunk cut short (found, stopped) stays unfinished, so the searched prefix never claims it.
    if (outcome.type !== "searched" || outcome.outcome !== "exhausted") return outcome;
    state.chunkDone(thread);
  }
}

/**
 * Searches [start, end). With a share target (easier than the difficulty), the C loop stops at every nonce below it;
 * each is reported as a share unless one hash shows it also meets the difficulty, and the loop goes on from the next
 * nonce, so no nonce is skipped.
 */
function searchSpan(input: Uint8Array, difficulty: Uint8Array, shareTarget: Uint8Array | null, start: bigint, end: bigint): ThreadReply {
  const lib = need(native, "open");
  const state = need(shared, "open");
  const machine = need(vm, "its VM was created");
  const shares = shareTarget !== null && meetsDifficulty(difficulty, shareTarget);
  for (let from = start; from < end; ) {
    const status = lib.k2pow_search(
      machine,
      input,
      from,
      end - from,
      shares ? shareTarget : difficulty,
      ptr(state.bytes, SharedState.stopSearchOffset),
      ptr(state.bytes, state.hashCounterOffset(thread)),
      nonceOut,
    );
    switch (status) {
      case SEARCH_STATUS.found: {
        const nonce = nonceOut[0]!;
        if (shares && !meetsDifficulty(hashOf(input, nonce), difficulty)) {
          reply({ type: "share", nonce });
          from = nonce + 1n;
          continue;
        }
        return { type: "searched", outcome: "found", nonce };
      }
      case SEARCH_STATUS.exhausted:
        return { type: "searched", outcome: "exhausted", nonce: 0n };
      case SEARCH_STATUS.stopped:
        return { type: "searched", outcome: "stopped", nonce: 0n };
      default:
        throw new Error(`the shim refused the search range ${from}+${end - from}`);
    }
  }
  return { type: "searched", outcome: "exhausted", nonce: 0n };
}

/** The hash of one input on this thread's VM (into a buffer reused by the next call). */
function hash(input: Uint8Array): Uint8Array {
  if (need(native, "open").k2pow_hash(need(vm, "its VM was created"), input, hashOut) !== 0) {
    throw new Error("the shim refused to hash");
  }
  return hashOut;
}

/** The hash of `nonce`; `input` is the job's template. */
function hashOf(input: Uint8Array, nonce: bigint): Uint8Array {
  const one = input.slice();
  setNonce(one, nonce);
  return hash(one);
}

/** One hash per input: whether it is below the target at the same place. The engine checked the lengths. */
function check(inputs: Uint8Array, targets: Uint8Array): ThreadReply {
  const passed = new Uint8Array(inputs.length / INPUT_SIZE);
  const started = performance.now();
  for (let i = 0; i < passed.length; i++) {
    const h = hash(inputs.subarray(i * INPUT_SIZE, (i + 1) * INPUT_SIZE));
    passed[i] = meetsDifficulty(h, targets.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)) ? 1 : 0;
  }
  return { type: "checked", passed, seconds: (performance.now() - started) / 1000 };
}

function freeVm(): void {
  if (native !== null && vm !== null) native.k2pow_vm_destroy(vm);
  vm = null;
}

function handle(request: ThreadRequest): ThreadReply {
  switch (request.type) {
    case "open":
      native = openNative(request.paths);
      shared = new SharedState(request.shared);
      thread = request.thread;
      return { type: "ok" };
    case "init-cache":
      if (need(native, "open").k2pow_cache_init(request.cache) !== 0) throw new Error("the shim refused to fill the cache");
      return { type: "ok" };
    case "build":
      return build(request.cache, request.dataset, request.start, request.count, request.lanes);
    case "load": {
      const state = need(shared, "open");
      const { fd, memory, header } = request;
      const mismatch = readPieces(
        need(native, "open"),
        fd,
        memory,
        header,
        () => state.claimPiece(),
        () => state.stopBuildRequested(),
        (bytes) => state.addItemsBuilt(thread, bytes / 64),
      );
      return { type: "loaded", mismatch };
    }
    case "vm": {
      freeVm();
      vm = need(native, "open").k2pow_vm_create(request.flags, request.cache, request.dataset);
      if (vm === null) throw new Error("RandomX could not create a VM (out of memory, or JIT memory refused)");
      return { type: "vm", address: vm, selfTest: hash(KNOWN_INPUT).slice() };
    }
    case "search":
      return search(request.input, request.difficulty, request.shareTarget, request.chunk);
    case "check":
      return check(request.inputs, request.targets);
    case "close":
      freeVm();
      return { type: "ok" };
  }
}

self.onmessage = (event: MessageEvent<ThreadRequest>) => {
  try {
    reply(handle(event.data));
  } catch (err) {
    reply({ type: "error", message: (err as Error).message });
  }
};
