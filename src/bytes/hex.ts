// Bytes as text, one rule everywhere: hex is read in either letter case and always written in lower case; nonces
// and counts are decimal, below 2^56. HTTP, the pool's protocol, the CLI and the engine all go through here.

/** Nonces are written as 7 bytes, so every nonce is below 2^56. */
export const NONCE_LIMIT = 1n << 56n;

/** The pattern (for TypeBox schemas) of exactly `bytes` bytes of hex, either case, no 0x. */
export function hexPattern(bytes: number): string {
  return `^[0-9a-fA-F]{${bytes * 2}}$`;
}

/** Whether `text` is exactly `bytes` bytes of hex. */
export function isHex(text: string, bytes: number): boolean {
  return text.length === bytes * 2 && /^[0-9a-fA-F]*$/.test(text);
}

/** Bytes as lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Hex of exactly `bytes` bytes (either case) as bytes; a RangeError names what was wrong. */
export function fromHex(text: string, bytes: number): Uint8Array {
  if (!isHex(text, bytes)) throw new RangeError(`expected ${bytes * 2} hex digits, got '${text.slice(0, 80)}'`);
  return Uint8Array.from(Buffer.from(text, "hex"));
}

/** Bytes read as one big-endian number (an empty array is 0). */
export function bigFromBytes(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

/** A number below 2^(8·size) as `size` big-endian bytes. */
export function bytesFromBig(value: bigint, size: number): Uint8Array {
  return fromHex(hexFromBig(value, size), size);
}

/** A number below 2^(8·size) as 2·size lower-case hex digits. */
export function hexFromBig(value: bigint, size: number): string {
  if (value < 0n || value >= 1n << BigInt(8 * size)) throw new RangeError(`${value} does not fit in ${size} bytes`);
  return value.toString(16).padStart(size * 2, "0");
}

/** A nonce or count as this program writes it: decimal, no sign, no leading zeros, at most 17 digits (2^56 has 17). */
export const DECIMAL_PATTERN = "^(0|[1-9][0-9]{0,16})$";

/** A nonce a user or a peer wrote in decimal (leading zeros allowed), or null when it is not one below 2^56. */
export function parseNonce(text: string): bigint | null {
  if (!/^[0-9]{1,17}$/.test(text)) return null;
  const value = BigInt(text);
  return value < NONCE_LIMIT ? value : null;
}
