// The real search thread, pinned to the core of its own index (thread i on core i), as miners pin theirs: so that
// a busy neighbour on one core slows exactly one search thread instead of being spread over both by the scheduler.
import { dlopen, FFIType } from "bun:ffi";
import "../src/engine/search-worker";

declare const self: Worker;

const libc = dlopen("libc.so.6", { sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 } });
const real = self.onmessage!;
self.onmessage = (event: MessageEvent<{ type: string; thread?: number }>) => {
  if (event.data.type === "open") {
    const mask = new BigUint64Array(16);
    mask[0] = 1n << BigInt(event.data.thread!);
    // pid 0: the calling thread alone.
    if (libc.symbols.sched_setaffinity(0, mask.byteLength, mask) !== 0) throw new Error(`cannot pin search thread ${event.data.thread}`);
  }
  real.call(self, event as MessageEvent);
};
