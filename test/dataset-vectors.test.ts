// The dataset built with vector code (ffi/dataset-vectors.c): the same bytes as librandomx's own build, item for item
// on slices with every vector width this CPU has, and for the whole 2 GiB against the checksums of librandomx's
// build (test/fixtures/dataset-pieces.json); its compiled-in programs are the key's; a build that differs is caught.
import { afterAll, describe, expect, test } from "bun:test";
import { dlopen, FFIType, toArrayBuffer } from "bun:ffi";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { header } from "../ffi/superscalar-programs";
import { Cache } from "../src/engine/cache";
import { KEY } from "../src/engine/k2pow-rule";
import { MISMATCH, openNative, PAGES, type Address } from "../src/engine/native";
import { nativePaths } from "../src/engine/native-paths";
import { readHeader } from "./support/dataset-files";
import { sharedDataset } from "./support/shared-dataset";

const native = openNative(nativePaths);
const EINVAL = -1;
const ITEM = 64;
const items = Number(native.k2pow_dataset_items());
const lanes = native.k2pow_dataset_vector_lanes();
/** The widths to try: this CPU's, and AVX2's where it has AVX-512 too. */
const widths = [8, 4].filter((w) => w <= lanes);

const cache = Cache.allocate(native, native.k2pow_recommended_flags(), "plain", () => {});
cache.fillHere();
// Plain pages: only the slices the tests build are ever touched, so the 2 GiB stay virtual.
const dataset = native.k2pow_dataset_alloc(PAGES.plain, new Int32Array(1));
if (dataset === null) throw new Error("no dataset could be allocated");
const memory = native.k2pow_dataset_memory(dataset)!;
afterAll(() => {
  native.k2pow_dataset_destroy(dataset);
  cache.free();
});

const bytesOf = (start: number, count: number) => new Uint8Array(toArrayBuffer(memory, start * ITEM, count * ITEM)).slice();
const zero = (start: number, count: number) => new Uint8Array(toArrayBuffer(memory, start * ITEM, count * ITEM)).fill(0);

/** Items [start, start+count) as librandomx builds them. */
function librandomx(start: number, count: number): Uint8Array {
  zero(start, count);
  expect(native.k2pow_dataset_build(dataset, cache.pointer, start, count)).toBe(0);
  return bytesOf(start, count);
}

function vectors(start: number, count: number, width: number, over: Address = cache.pointer): { status: number; mismatch: bigint } {
  zero(start, count);
  const mismatch = new BigUint64Array(1);
  const status = native.k2pow_dataset_build_vectors(dataset, over, start, count, width, mismatch);
  return { status, mismatch: mismatch[0]! };
}

describe("the vector build", () => {
  test("this CPU has a vector width for it (x86-64 with AVX2 or AVX-512)", () => {
    // Every machine CI runs on has AVX2; arm64 and old x86-64 fall back to librandomx (lanes 0), tested by its build.
    expect(lanes === 8 || lanes === 4).toBe(true);
  });

  // Slices: the start, an odd place and length (part batches at both ends), one item, and the dataset's last items.
  const slices: [number, number][] = [[0, 4096], [1_234_567, 1001], [20_000_003, 1], [items - 13, 13]];
  for (const width of [8, 4]) {
    // Shown as skipped, not passed, on a CPU without AVX-512.
    test.skipIf(!widths.includes(width))(`${width} items at a time: the same bytes as librandomx's build on every slice`, () => {
      for (const [start, count] of slices) {
        const expected = librandomx(start, count);
        expect(vectors(start, count, width).status).toBe(0);
        expect(Bun.hash.xxHash64(bytesOf(start, count))).toBe(Bun.hash.xxHash64(expected));
      }
    });
  }

  test("refuses a width this CPU lacks or that is not one, and a range outside the dataset", () => {
    for (const width of [16, 3, 0, -4]) expect(vectors(0, 64, width).status).toBe(EINVAL);
    expect(vectors(items - 1, 2, widths[0]!).status).toBe(EINVAL);
    expect(vectors(items, 1, widths[0]!).status).toBe(EINVAL);
  });

  test("items that differ from librandomx's are reported, naming the first: a cache filled with another key", () => {
    const rx = dlopen(nativePaths.randomx, {
      randomx_alloc_cache: { args: [FFIType.i32], returns: FFIType.ptr },
      randomx_init_cache: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.void },
      randomx_release_cache: { args: [FFIType.ptr], returns: FFIType.void },
    });
    const other = rx.symbols.randomx_alloc_cache(0);
    try {
      if (other === null) throw new Error("no cache could be allocated");
      const key = new TextEncoder().encode("not the k2pow key");
      rx.symbols.randomx_init_cache(other, key, key.length);
      // The compiled-in programs are k2pow's: librandomx, running the other key's, disagrees at the first item.
      expect(vectors(5000, 100, widths[0]!, other as unknown as Address)).toEqual({ status: MISMATCH, mismatch: 5000n });
    } finally {
      if (other !== null) rx.symbols.randomx_release_cache(other);
      rx.close();
    }
  });

  test("its programs are the ones librandomx derives from k2pow's key (ffi/superscalar-programs.h is not stale)", () => {
    expect(header(nativePaths.randomx)).toBe(readFileSync(join(import.meta.dir, "..", "ffi", "superscalar-programs.h"), "utf8"));
    expect(header(nativePaths.randomx)).toContain(`#define SSH_KEY "${KEY}"`);
  });
});

describe("the whole dataset built with vectors", () => {
  test("is librandomx's, piece for piece (the run's shared dataset file, built by the engine's default build)", async () => {
    const reference = JSON.parse(readFileSync(join(import.meta.dir, "fixtures", "dataset-pieces.json"), "utf8"));
    const { path, builtWith } = await sharedDataset();
    expect(builtWith).toBe(lanes === 8 ? "AVX-512" : "AVX2");
    const built = readHeader(path);
    expect({ bytes: built.bytes, pieceBytes: built.pieceBytes, pieces: built.pieces }).toEqual({
      bytes: reference.bytes,
      pieceBytes: reference.pieceBytes,
      pieces: reference.pieces,
    });
  }, 240_000);
});
