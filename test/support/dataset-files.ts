// Dataset files for tests: copies of a real one, with a byte flipped, a header changed, or with items
// changed and the checksums written to match (a file whose every check passes and which still holds a wrong dataset).
import { closeSync, copyFileSync, openSync, readSync, writeSync } from "node:fs";
import { encodeHeader, HEADER_BYTES, pieceChecksum, type DatasetHeader } from "../../src/engine/dataset-file";

const ITEM_BYTES = 64;

export function readHeader(path: string): DatasetHeader {
  const fd = openSync(path, "r");
  try {
    const raw = new Uint8Array(HEADER_BYTES);
    readSync(fd, raw, 0, HEADER_BYTES, 0);
    return JSON.parse(new TextDecoder().decode(raw)) as DatasetHeader;
  } finally {
    closeSync(fd);
  }
}

export function writeHeader(path: string, header: DatasetHeader): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, encodeHeader(header), 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
}

/** Inverts the byte at `offset` of the file (header included). */
export function flipByte(path: string, offset: number): void {
  const fd = openSync(path, "r+");
  try {
    const b = new Uint8Array(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

export function copy(from: string, to: string): void {
  copyFileSync(from, to);
}

/**
 * Changes one byte of every `every`-th dataset item, then writes checksums that match: the file passes every check
 * of the format and holds a dataset that is not RandomX's.
 */
export function forge(path: string, every: number): void {
  const header = readHeader(path);
  const fd = openSync(path, "r+");
  try {
    for (let item = 0; item * ITEM_BYTES < header.bytes; item += every) {
      const offset = HEADER_BYTES + item * ITEM_BYTES;
      const b = new Uint8Array(1);
      readSync(fd, b, 0, 1, offset);
      b[0] = b[0]! ^ 0x5a;
      writeSync(fd, b, 0, 1, offset);
    }
    const piece = new Uint8Array(header.pieceBytes);
    header.pieces = header.pieces.map((_, i) => {
      const length = Math.min(header.pieceBytes, header.bytes - i * header.pieceBytes);
      const view = piece.subarray(0, length);
      readSync(fd, view, 0, length, HEADER_BYTES + i * header.pieceBytes);
      return pieceChecksum(view);
    });
  } finally {
    closeSync(fd);
  }
  writeHeader(path, header);
}
