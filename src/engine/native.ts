// bun:ffi bindings to the C shim (ffi/k2pow.c). Loaded once per thread: the main thread and every search Worker.
import { dlopen, FFIType } from "bun:ffi";
import { EngineError } from "./engine-error";
import { loadableDll } from "./windows-dll";

/** Must equal K2POW_ABI_VERSION in ffi/k2pow.h. */
const ABI_VERSION = 7;

const symbols = {
  k2pow_abi_version: { args: [], returns: FFIType.i32 },
  k2pow_recommended_flags: { args: [], returns: FFIType.i32 },
  k2pow_cache_alloc: { args: [FFIType.i32], returns: FFIType.ptr },
  k2pow_cache_init: { args: [FFIType.ptr], returns: FFIType.i32 },
  k2pow_cache_destroy: { args: [FFIType.ptr], returns: FFIType.void },
  k2pow_cache_advise_huge_pages: { args: [FFIType.ptr], returns: FFIType.i32 },
  k2pow_dataset_alloc: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.ptr },
  k2pow_dataset_items: { args: [], returns: FFIType.u64 },
  k2pow_dataset_bytes: { args: [], returns: FFIType.u64 },
  k2pow_dataset_build: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  k2pow_dataset_vector_lanes: { args: [], returns: FFIType.i32 },
  k2pow_dataset_build_vectors: {
    args: [FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.u64, FFIType.i32, FFIType.ptr],
    returns: FFIType.i32,
  },
  k2pow_dataset_destroy: { args: [FFIType.ptr], returns: FFIType.void },
  k2pow_dataset_memory: { args: [FFIType.ptr], returns: FFIType.ptr },
  k2pow_file_forget: { args: [FFIType.i32, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  k2pow_lock_pages_privilege: { args: [], returns: FFIType.i32 },
  k2pow_vm_create: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.ptr },
  k2pow_vm_destroy: { args: [FFIType.ptr], returns: FFIType.void },
  k2pow_hash: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  k2pow_search: {
    args: [FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.u64, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr],
    returns: FFIType.i32,
  },
} as const;

/** An address in this process, as bun:ffi passes it; null where C returned NULL. */
export type Address = number;
type In = Address | null;

/** The shim's calls as the engine uses them (bun:ffi's own typing of pointers is looser). */
export interface Native {
  k2pow_abi_version(): number;
  k2pow_recommended_flags(): number;
  k2pow_cache_alloc(flags: number): Address | null;
  k2pow_cache_init(cache: In): number;
  k2pow_cache_destroy(cache: In): void;
  k2pow_cache_advise_huge_pages(cache: In): number;
  k2pow_dataset_alloc(pages: number, obtained: Int32Array): Address | null;
  k2pow_dataset_items(): bigint;
  k2pow_dataset_bytes(): bigint;
  k2pow_dataset_build(dataset: In, cache: In, start: number, count: number): number;
  k2pow_dataset_vector_lanes(): number;
  k2pow_dataset_build_vectors(dataset: In, cache: In, start: number, count: number, lanes: number, mismatch: BigUint64Array): number;
  k2pow_dataset_destroy(dataset: In): void;
  k2pow_dataset_memory(dataset: In): Address | null;
  k2pow_file_forget(fd: number, offset: number, length: number): number;
  k2pow_lock_pages_privilege(): number;
  k2pow_vm_create(flags: number, cache: In, dataset: In): Address | null;
  k2pow_vm_destroy(vm: In): void;
  k2pow_hash(vm: In, input: Uint8Array, out: Uint8Array): number;
  k2pow_search(
    vm: In,
    input: Uint8Array,
    start: bigint,
    count: bigint,
    difficulty: Uint8Array,
    stop: Address,
    hashes: Address,
    nonce: BigUint64Array,
  ): number;
}

/**
 * Where the two native libraries are: librandomx first, so the shim's dependency on its SONAME resolves. On Windows
 * the shim is one DLL with librandomx linked in, and `randomx` is not loaded.
 */
export interface NativePaths {
  randomx: string;
  shim: string;
}

/** Flags as in randomx.h. */
export const RANDOMX_FLAG_LARGE_PAGES = 1;

/** Page modes as in ffi/k2pow.h. */
export const PAGES = { plain: 0, thp: 1, hugetlb: 2 } as const;

export const SEARCH_STATUS = { exhausted: 0, found: 1, stopped: 2 } as const;

/** k2pow_dataset_build_vectors: an item differed from librandomx's. */
export const MISMATCH = -2;

export function openNative(paths: NativePaths): Native {
  let shim;
  try {
    if (process.platform === "win32") {
      shim = dlopen(loadableDll(paths.shim), symbols);
    } else {
      dlopen(paths.randomx, { randomx_get_flags: { args: [], returns: FFIType.i32 } });
      shim = dlopen(paths.shim, symbols);
    }
  } catch (err) {
    // A compiled executable unpacks its embedded libraries into the temporary directory before loading them.
    const advice =
      process.platform === "win32"
        ? "the executable unpacks its DLL into %LOCALAPPDATA%\\k2pow: check that it is writable, and that no antivirus program blocks the DLL there"
        : paths.shim.startsWith("/$bunfs/")
          ? "the executable unpacks them into $TMPDIR (else /tmp): check that it exists, is writable and is not mounted noexec"
          : "run npm run build (or ./build.sh) in the checkout";
    throw new EngineError(`cannot load the RandomX libraries: ${(err as Error).message}; ${advice}`);
  }
  const abi = shim.symbols.k2pow_abi_version();
  if (abi !== ABI_VERSION) {
    throw new EngineError(`${paths.shim} has interface version ${abi}, this build needs ${ABI_VERSION}; run ./build.sh`);
  }
  return shim.symbols as unknown as Native;
}
