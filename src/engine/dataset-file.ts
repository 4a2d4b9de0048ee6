// The fast-mode dataset kept on disk. The RandomX key never changes, so the 2080 MiB dataset is the same on every
// machine for a given librandomx: built once, saved, and read back at the next start in a second or two instead of
// built again in ~25 s. Nothing the file says is trusted unchecked: its header must name this format, this
// librandomx, the k2pow key and the dataset's size, and every piece must match its checksum before the dataset is
// used. (The engine then self-tests its VMs on it and re-checks every answer with the light hasher.)
//
// Layout: a 4096-byte header (JSON, padded with spaces; `head -c 4096 FILE` shows it), then the dataset's bytes.
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, unlinkSync } from "node:fs";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { toArrayBuffer } from "bun:ffi";
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { KEY } from "./k2pow-rule";
import type { Address, Native } from "./native";

export const FORMAT = "k2pow-randomx-dataset";
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 4096;
/** Checksummed and read as one unit, by one thread: 33 pieces for the dataset, so two or more threads share them. */
export const PIECE_BYTES = 64 * 1024 * 1024;

const HeaderSchema = Type.Object({
  format: Type.String({ maxLength: 64 }),
  version: Type.Integer(),
  librandomx: Type.String({ maxLength: 64 }),
  key: Type.String({ maxLength: 64 }),
  bytes: Type.Integer({ minimum: 0 }),
  pieceBytes: Type.Integer({ minimum: 1 }),
  checksum: Type.Literal("xxhash64"),
  pieces: Type.Array(Type.String({ pattern: "^[0-9a-f]{16}$" }), { maxItems: 4096 }),
});

export type DatasetHeader = Static<typeof HeaderSchema>;

/** What the file must say it holds: this format and version, this librandomx, the k2pow key, this many bytes. */
export interface DatasetIdentity {
  librandomx: string;
  bytes: number;
}

/**
 * An open file whose header matches, or why none could be used, in words for the log: "absent"; with the file's
 * inode where it is a k2pow dataset file found wrong (so that file, and no other, can be removed); or `foreign` where
 * it is some other file, which is neither read, removed nor written over.
 */
export type OpenOutcome = { fd: number; header: DatasetHeader; inode: number } | { reason: string; inode?: number; foreign?: true };

/** The checksum of one piece, as the header writes it. */
export function pieceChecksum(bytes: Uint8Array): string {
  return Bun.hash.xxHash64(bytes).toString(16).padStart(16, "0");
}

export function pieceCount(bytes: number): number {
  return Math.ceil(bytes / PIECE_BYTES);
}

/** Bytes [offset, offset+length) of native memory as an array, without copying; valid while that memory is. */
export function nativeBytes(address: Address, offset: number, length: number): Uint8Array {
  return new Uint8Array(toArrayBuffer(address + offset, 0, length));
}

export function encodeHeader(header: DatasetHeader): Uint8Array {
  const text = JSON.stringify(header);
  if (text.length + 1 > HEADER_BYTES) throw new Error(`internal error: a dataset file header of ${text.length} bytes`);
  return new TextEncoder().encode(`${text}${" ".repeat(HEADER_BYTES - text.length - 1)}\n`);
}

/** Reads and checks the header of the file at `path` against `want`; the open descriptor goes to the caller. */
export function openDatasetFile(path: string, want: DatasetIdentity): OpenOutcome {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    return { reason: (err as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : `cannot be opened (${errorText(err)})` };
  }
  let inode: number | undefined;
  const fail = (reason: string) => {
    closeSync(fd);
    return { reason, inode };
  };
  const foreign = (reason: string) => {
    closeSync(fd);
    return { reason, foreign: true as const };
  };
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return foreign("is not a regular file");
    const raw = new Uint8Array(HEADER_BYTES);
    // Only a file that says it is a k2pow dataset file is ever removed: the path may name something else by mistake.
    const read = readFully(fd, raw, 0);
    const text = new TextDecoder().decode(raw.subarray(0, read));
    if (!text.startsWith(`{"format":"${FORMAT}",`)) {
      return foreign(text.startsWith('{"format":') ? `holds '${String(JSON.parse(`${text.split(",")[0]}}`).format)}', not a k2pow dataset` : "is not a k2pow dataset file");
    }
    inode = stat.ino;
    if (stat.size < HEADER_BYTES || read < HEADER_BYTES) return fail(`is ${stat.size} bytes, shorter than its header`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
    } catch {
      return fail("has a header that is not a k2pow dataset header");
    }
    if (!Value.Check(HeaderSchema, parsed)) return fail("has a header that is not a k2pow dataset header");
    const header = parsed;
    if (header.version !== FORMAT_VERSION) return fail(`is format version ${header.version}; this build reads version ${FORMAT_VERSION}`);
    if (header.librandomx !== want.librandomx) return fail(`was made with librandomx ${header.librandomx}; this build has ${want.librandomx}`);
    if (header.key !== KEY) return fail("was made with another RandomX key");
    if (header.bytes !== want.bytes) return fail(`holds ${header.bytes} bytes of dataset; RandomX's is ${want.bytes}`);
    if (header.pieceBytes !== PIECE_BYTES || header.pieces.length !== pieceCount(header.bytes)) return fail("has a header whose pieces do not add up");
    if (stat.size !== HEADER_BYTES + header.bytes) return fail(`is ${stat.size} bytes, not ${HEADER_BYTES + header.bytes} (truncated, or written in part)`);
    return { fd, header, inode: stat.ino };
  } catch (err) {
    return fail(`cannot be read (${errorText(err)})`);
  }
}

/**
 * Reads pieces of an open dataset file into the dataset's memory, each as `claim` hands it out, and checks each
 * against the header's checksum; null when all match, else which did not. Each piece's page-cache copy is dropped
 * once read. Runs on a search thread; `onPiece` hears the bytes of each piece as it is done (for progress).
 */
export function readPieces(
  native: Native,
  fd: number,
  memory: Address,
  header: DatasetHeader,
  claim: () => number,
  stop: () => boolean,
  onPiece: (bytes: number) => void,
): string | null {
  for (let piece = claim(); piece < header.pieces.length && !stop(); piece = claim()) {
    const offset = piece * header.pieceBytes;
    const length = Math.min(header.pieceBytes, header.bytes - offset);
    const view = nativeBytes(memory, offset, length);
    const read = readFully(fd, view, HEADER_BYTES + offset);
    native.k2pow_file_forget(fd, HEADER_BYTES + offset, length);
    if (read < length) return `piece ${piece} ends early (the file shrank while it was read)`;
    if (pieceChecksum(view) !== header.pieces[piece]) return `piece ${piece} (bytes ${offset}..${offset + length - 1}) does not match its checksum`;
    onPiece(length);
  }
  return null;
}

/**
 * Writes `bytes` of native memory at `memory` to `path` as a dataset file: into a temporary file beside it, synced,
 * then renamed over `path`, so that no reader ever sees part of a file and two writers at once leave one whole file.
 * Throws with the reason on any failure (the temporary file is removed first). `signal` stops it between pieces.
 * Returns the written file's inode.
 */
export async function writeDatasetFile(
  native: Native,
  path: string,
  memory: Address,
  identity: DatasetIdentity,
  signal: AbortSignal,
): Promise<number> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`; // see removeStaleTemporaries
  const file = await open(temporary, "wx", 0o600);
  let renamed = false;
  try {
    const pieces: string[] = [];
    for (let offset = 0; offset < identity.bytes; offset += PIECE_BYTES) {
      if (signal.aborted) throw new Error("stopped");
      const view = nativeBytes(memory, offset, Math.min(PIECE_BYTES, identity.bytes - offset));
      pieces.push(pieceChecksum(view));
      await writeFully(file, view, HEADER_BYTES + offset);
    }
    const header = encodeHeader({
      format: FORMAT,
      version: FORMAT_VERSION,
      librandomx: identity.librandomx,
      key: KEY,
      bytes: identity.bytes,
      pieceBytes: PIECE_BYTES,
      checksum: "xxhash64",
      pieces,
    });
    await writeFully(file, header, 0);
    await file.datasync();
    // Written and on disk: the page cache's copy would only stand beside the dataset itself.
    native.k2pow_file_forget(file.fd, 0, HEADER_BYTES + identity.bytes);
    const { ino } = await file.stat();
    await file.close();
    await rename(temporary, path);
    renamed = true;
    return ino;
  } finally {
    if (!renamed) {
      await file.close().catch(() => {});
      await unlink(temporary).catch(() => {});
    }
  }
}

/**
 * Removes the temporary files of writes to `path` whose writer is gone (killed mid-write: `kill -9`, out of memory,
 * power): 2 GiB each, which nothing else would ever remove. A writer is known by the process id in the name; one
 * still running (here or in another worker on the box) keeps its file. Returns the names removed.
 */
export function removeStaleTemporaries(path: string): string[] {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length).match(/^(\d+)\.[0-9a-f]{8}\.tmp$/)?.[1]) : NaN;
    if (!Number.isInteger(pid) || pid <= 0 || running(pid)) continue;
    try {
      unlinkSync(join(dirname(path), name));
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: either way nothing to do.
    }
  }
  return removed;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // someone else's process: alive
  }
}

/**
 * Removes the file at `path` if it is still the one that was read (inode `inode`), not one another worker wrote
 * since: null when it is gone, else why it could not be removed.
 */
export function removeIfSame(path: string, inode: number): string | null {
  try {
    if (statSync(path).ino === inode) unlinkSync(path);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? null : errorText(err);
  }
}

function readFully(fd: number, into: Uint8Array, position: number): number {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

async function writeFully(file: import("node:fs/promises").FileHandle, from: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < from.length; ) {
    const { bytesWritten } = await file.write(from, done, from.length - done, position + done);
    done += bytesWritten;
  }
}

/** An error's code and words, without a stack: "ENOSPC: no space left on device". */
export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : e.message;
}
