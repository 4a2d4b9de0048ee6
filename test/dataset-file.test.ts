// The fast-mode dataset kept on disk: a build saves it, the next start loads and checks it, and no damaged, foreign
// or forged file is ever used to hand out an answer. One whole build: the rebuild a forged file must end in, whose
// save is checked too; a cut-short file is followed until its build starts. The other tests use a copy of the run's
// shared dataset file (written by the same engine code after a build: test/support/shared-dataset.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, writeFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ptr } from "bun:ffi";
import { encodeHeader, HEADER_BYTES, openDatasetFile, PIECE_BYTES, readPieces, removeStaleTemporaries, type DatasetHeader } from "../src/engine/dataset-file";
import { DatasetStore } from "../src/engine/dataset-store";
import { Engine } from "../src/engine/engine";
import { Hasher } from "../src/engine/hasher";
import { hashInput, KEY } from "../src/engine/k2pow-rule";
import { openNative } from "../src/engine/native";
import { nativePaths, randomxVersion } from "../src/engine/native-paths";
import { copy, flipByte, forge, readHeader, writeHeader } from "./support/dataset-files";
import { sharedDatasetFile } from "./support/shared-dataset";
import { until } from "./support/until";
import { hashVectors, jobOf, smallestVectors, toHex, UNREACHABLE } from "./support/vectors";

const BYTES = 2_181_038_016;
/** The test's own memory for a dataset read from a file (allocated once: faulting in 2 GiB takes seconds). */
let scratch: Uint8Array | null = null;
const memoryOfTest = () => (scratch ??= new Uint8Array(BYTES));
const IDENTITY = { librandomx: randomxVersion(), bytes: BYTES };
const native = openNative(nativePaths);

let dir: string;
let file: string;
/** The first engine: started on a copy of the shared file, which it loaded and watches. */
let first: Engine;
const notesOfFirst: string[] = [];
/** The size of the cut-short file: a header that matches, and a mebibyte of the dataset. */
const CUT = HEADER_BYTES + 1024 * 1024;

function fastEngine(datasetFile: string, notes: string[]): Engine {
  return new Engine({ mode: "fast", threads: 2, datasetFile, onNote: (m, level) => notes.push(level ? `${level}: ${m}` : m) });
}

async function saved(engine: Engine): Promise<void> {
  await until("the dataset file to be saved", async () => engine.status().dataset?.file?.save === "saved" || engine.status().dataset?.file?.save === "failed", 120_000);
  expect(engine.status().dataset?.file?.save).toBe("saved");
}

/** The vectors' hashes, and the smallest valid nonce of each smallest-nonce vector on one thread (which finds it first). */
async function expectVectors(engine: Engine): Promise<void> {
  for (const v of hashVectors) expect(toHex(engine.hash(hashInput(jobOf(v, UNREACHABLE), BigInt(v.nonce))))).toBe(v.hash);
  for (const v of smallestVectors) expect((await engine.search(jobOf(v, v.difficulty), { threads: 1 })).nonce).toBe(BigInt(v.smallest_valid_nonce));
}

/** Reads the whole file at `path` as a load does, into `memory`: null when every piece matches, else why not. */
function readAll(path: string, memory: Uint8Array): string | null {
  const outcome = openDatasetFile(path, IDENTITY);
  if (!("fd" in outcome)) return outcome.reason;
  let next = 0;
  try {
    return readPieces(native, outcome.fd, ptr(memory), outcome.header, () => next++, () => false, () => {});
  } finally {
    closeSync(outcome.fd);
  }
}

function mount(args: string[]): void {
  const done = Bun.spawnSync(["mount", ...args]);
  if (done.exitCode !== 0) throw new Error(`mount ${args.join(" ")} failed (the test needs root): ${done.stderr.toString().trim()}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "k2pow-dataset-"));
  file = join(dir, "cache", "randomx-dataset.bin");
  mkdirSync(join(dir, "cache"));
  copy(await sharedDatasetFile(), file);
  first = fastEngine(file, notesOfFirst);
  await first.ready;
}, 240_000);

afterAll(async () => {
  await first?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a dataset file", () => {
  test("cut short (a crash mid-write by another program, a full disk): removed, and the dataset built instead", async () => {
    const cut = join(dir, "cut", "randomx-dataset.bin");
    mkdirSync(join(dir, "cut"));
    const header = encodeHeader({ format: "k2pow-randomx-dataset", version: 1, librandomx: randomxVersion(), key: KEY, bytes: BYTES, pieceBytes: PIECE_BYTES, checksum: "xxhash64", pieces: Array(33).fill("0".repeat(16)) });
    writeFileSync(cut, Buffer.concat([header, new Uint8Array(CUT - HEADER_BYTES)]));
    const notes: string[] = [];
    const engine = fastEngine(cut, notes);
    try {
      // Followed until its build is under way; the forged file's test below follows a build to its save.
      await until("the build to start after the cut-short file", async () => (engine.status().dataset?.itemsBuilt ?? 0) > 0 && !engine.status().dataset?.loading, 60_000);
      expect(notes).toContainEqual(
        `warn: dataset file ${cut} is ${CUT} bytes, not ${HEADER_BYTES + BYTES} (truncated, or written in part); removed it: building the dataset instead`,
      );
      expect(readdirSync(join(dir, "cut"))).toEqual([]);
    } finally {
      await engine.close();
    }
  }, 60_000);

  test("is loaded at the next start, every piece checked, and gives the vectors' hashes and smallest nonces", async () => {
    const notes: string[] = [];
    const engine = fastEngine(file, notes);
    try {
      await engine.ready;
      expect(notes).toContainEqual(expect.stringMatching(/^dataset loaded from .*randomx-dataset\.bin in \d+\.\d s on 2 threads, every piece checked/));
      expect(notes.some((n) => n.startsWith("dataset built"))).toBe(false);
      expect(engine.status().dataset).toMatchObject({ source: "loaded", itemsBuilt: 34_078_719, file: { path: file, save: "idle" } });
      await expectVectors(engine);
    } finally {
      await engine.close();
    }
  }, 120_000);

  test("two workers starting at once on one file both load it", async () => {
    const notes: string[][] = [[], []];
    const engines = notes.map((n) => fastEngine(file, n));
    try {
      await Promise.all(engines.map((e) => e.ready));
      for (const e of engines) {
        expect(e.status().dataset?.source).toBe("loaded");
        const v = hashVectors[2]!;
        expect(toHex(e.hash(hashInput(jobOf(v, UNREACHABLE), BigInt(v.nonce))))).toBe(v.hash);
      }
    } finally {
      await Promise.all(engines.map((e) => e.close()));
    }
  }, 120_000);
});

describe("a dataset file deleted while the worker runs", () => {
  test("is written again from memory within seconds, whole: every piece reads back as a load checks it", async () => {
    rmSync(file);
    await until("the worker to notice its dataset file deleted", async () => notesOfFirst.some((n) => n.includes("was deleted while this worker ran")), 30_000);
    expect(notesOfFirst).toContainEqual(`warn: dataset file ${file} was deleted while this worker ran: writing it again from memory`);
    await saved(first);
    expect(readAll(file, memoryOfTest())).toBeNull();
    expect(readdirSync(join(dir, "cache"))).toEqual(["randomx-dataset.bin"]);
  }, 120_000);
});

describe("a damaged or foreign file is found before use, with the reason", () => {
  // Read here, on this thread, into memory of the test's own: the same code the search threads run.
  const load = () => readAll(file, memoryOfTest());

  test("the good file passes", () => expect(load()).toBeNull());

  test("one flipped byte in the middle of the dataset", () => {
    const middle = HEADER_BYTES + BYTES / 2;
    flipByte(file, middle);
    try {
      expect(load()).toBe(`piece 16 (bytes ${16 * PIECE_BYTES}..${17 * PIECE_BYTES - 1}) does not match its checksum`);
    } finally {
      flipByte(file, middle);
    }
    expect(load()).toBeNull();
  });

  const cases: [string, (h: DatasetHeader) => DatasetHeader, string][] = [
    ["another librandomx", (h) => ({ ...h, librandomx: "1.2.1-1" }), `was made with librandomx 1.2.1-1; this build has ${randomxVersion()}`],
    ["another format version", (h) => ({ ...h, version: 2 }), "is format version 2; this build reads version 1"],
    ["another format", (h) => ({ ...h, format: "something-else" }), "holds 'something-else', not a k2pow dataset"],
    ["another key", (h) => ({ ...h, key: "another-key" }), "was made with another RandomX key"],
    ["another size", (h) => ({ ...h, bytes: BYTES - 64 }), `holds ${BYTES - 64} bytes of dataset; RandomX's is ${BYTES}`],
    ["a checksum changed", (h) => ({ ...h, pieces: ["0".repeat(16), ...h.pieces.slice(1)] }), `piece 0 (bytes 0..${PIECE_BYTES - 1}) does not match its checksum`],
  ];
  test.each(cases)("a header with %s", (_, change, reason) => {
    const good = readHeader(file);
    writeHeader(file, change(good));
    try {
      expect(load()).toBe(reason);
    } finally {
      writeHeader(file, good);
    }
  });

  test("a flipped byte in the header's text, and a file that is not a dataset file at all", () => {
    flipByte(file, 200);
    try {
      expect(load()).toBe("has a header that is not a k2pow dataset header");
      expect(openDatasetFile(file, IDENTITY)).toMatchObject({ inode: statSync(file).ino });
    } finally {
      flipByte(file, 200);
    }
    const other = join(dir, "not-a-dataset");
    writeFileSync(other, "just some text\n".repeat(1000));
    // Some other file at the path (a mistyped --dataset-file): named as such, and marked to be left alone.
    expect(openDatasetFile(other, IDENTITY)).toEqual({ reason: "is not a k2pow dataset file", foreign: true });
    expect(load()).toBeNull();
  });
});

describe("unfinished files of a writer that was killed", () => {
  test("are removed before the next save; a running writer's, the file itself and other files stay", async () => {
    const at = mkdtempSync(join(tmpdir(), "k2pow-stale-"));
    try {
      const gone = Bun.spawn(["true"]);
      await gone.exited;
      const path = join(at, "randomx-dataset.bin");
      const names = {
        stale: `randomx-dataset.bin.${gone.pid}.0a1b2c3d.tmp`,
        running: `randomx-dataset.bin.${process.pid}.4e5f6a7b.tmp`,
        other: `another.bin.${gone.pid}.0a1b2c3d.tmp`,
        unlike: `randomx-dataset.bin.${gone.pid}.tmp`,
      };
      for (const name of [...Object.values(names), "randomx-dataset.bin"]) writeFileSync(join(at, name), "x");
      expect(removeStaleTemporaries(path)).toEqual([names.stale]);
      expect(readdirSync(at).sort()).toEqual([names.other, "randomx-dataset.bin", names.running, names.unlike].sort());
      expect(removeStaleTemporaries(join(at, "missing-dir", "randomx-dataset.bin"))).toEqual([]);
    } finally {
      rmSync(at, { recursive: true, force: true });
    }
  });
});

describe("a file that cannot be used or written never stops the worker", () => {
  test("a full disk and a read-only directory: one warning, nothing left behind, and a second writer at once does no harm", async () => {
    const full = join(dir, "full");
    const readOnly = join(dir, "read-only");
    const shared = join(dir, "shared");
    for (const d of [full, readOnly, shared]) mkdirSync(d);
    mount(["-t", "tmpfs", "-o", "size=64m", "tmpfs", full]);
    mount(["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", readOnly]);
    let stores: DatasetStore[] = [];
    try {
      // The dataset's bytes as a save reads them: this test's own memory, filled from the good file.
      const memory = memoryOfTest();
      expect(readAll(file, memory)).toBeNull();
      const source = { memory: ptr(memory) };

      const cases = [join(full, "randomx-dataset.bin"), join(readOnly, "k2pow", "randomx-dataset.bin"), join(shared, "randomx-dataset.bin"), join(shared, "randomx-dataset.bin")];
      const notes = cases.map(() => [] as string[]);
      stores = cases.map((path, i) => new DatasetStore(path, native, IDENTITY, (m, level) => notes[i]!.push(`${level ?? "info"}: ${m}`)));
      for (const s of stores) s.save(source);
      await until("every save to end", async () => stores.every((s) => s.saveState === "saved" || s.saveState === "failed"), 120_000);

      expect(stores.map((s) => s.saveState)).toEqual(["failed", "failed", "saved", "saved"]);
      expect(notes[0]).toEqual([
        `warn: dataset not saved to ${cases[0]} (ENOSPC: no space left on device, write); serving from memory, and the next start builds it again`,
      ]);
      expect(notes[1]).toHaveLength(1);
      expect(notes[1]![0]).toMatch(/^warn: dataset not saved to .*read-only\/k2pow\/randomx-dataset\.bin \(EROFS: read-only file system/);
      expect(readdirSync(full)).toEqual([]);
      expect(readdirSync(readOnly)).toEqual([]);
      // Two writers at once: each wrote its own temporary file and renamed it; one whole file is left, and it loads.
      expect(readdirSync(shared)).toEqual(["randomx-dataset.bin"]);
      expect(readAll(cases[2]!, memory)).toBeNull();
    } finally {
      // Closed, they stop watching their files: a store left open would write its file again after the run's
      // clean-up removed it, from this test's memory.
      await Promise.all(stores.map((s) => s.close()));
      Bun.spawnSync(["umount", "--lazy", full]);
      Bun.spawnSync(["umount", "--lazy", readOnly]);
    }
  }, 120_000);
});

describe("a wrong dataset cannot hand out a wrong nonce", () => {
  test("a forged file (checksums that match a changed dataset) passes every file check and the self-test; the light re-check catches its answer", async () => {
    const forged = join(dir, "forged", "randomx-dataset.bin");
    mkdirSync(join(dir, "forged"));
    copy(file, forged);
    // One byte in every 100,000th item: few enough that the self-test's hash misses them all, yet this job's first
    // answer on one thread rests on one (both found by trying, and fixed, as the dataset and the job are).
    forge(forged, 100_000);
    const notes: string[] = [];
    const engine = fastEngine(forged, notes);
    const light = Hasher.light();
    try {
      await engine.ready;
      expect(engine.status().dataset?.source).toBe("loaded");
      expect(notes).toContainEqual(`fast mode ready: 2 threads, ${engine.status().pages} pages, self-test passed`);
      const difficulty = new Uint8Array(32).fill(0xff);
      difficulty[0] = 0x7f;
      const job = { miner: new Uint8Array(32).fill(7), nonceGroup: 0, challenge: new Uint8Array(8).fill(1), difficulty };
      const { nonce } = await engine.search(job, { threads: 1 });
      // The answer meets the rule by an independent hash, and the wrong one before it was never handed out.
      expect(light.verify(job, nonce)).toBe(true);
      expect(notes).toContainEqual(
        `error: the dataset loaded from ${forged} is wrong (it gave nonce 0 as valid for a job, and the light-mode re-check found its hash is not below the difficulty); ${forged} removed; building it again`,
      );
      expect(light.verify(job, 0n)).toBe(false);
      expect(engine.status().dataset?.source).toBe("built");
      await expectVectors(engine);
      await saved(engine);
      expect(readAll(forged, memoryOfTest())).toBeNull();
      // Written after the build, atomically (nothing else left beside it), owner-only, and naming what it holds.
      expect(notes.some((n) => /^dataset saved to .*randomx-dataset\.bin \(2,080 MiB\) in \d+\.\d s/.test(n))).toBe(true);
      expect(statSync(forged).size).toBe(HEADER_BYTES + BYTES);
      expect(statSync(forged).mode & 0o777).toBe(0o600);
      expect(readdirSync(join(dir, "forged"))).toEqual(["randomx-dataset.bin"]);
      expect(readHeader(forged)).toMatchObject({
        format: "k2pow-randomx-dataset",
        version: 1,
        librandomx: randomxVersion(),
        key: KEY,
        bytes: BYTES,
        pieceBytes: PIECE_BYTES,
        checksum: "xxhash64",
        pieces: expect.any(Array),
      });
      expect(readHeader(forged).pieces).toHaveLength(33);
    } finally {
      light.close();
      await engine.close();
    }
  }, 240_000);
});
