/** [start, start+count) cut into `parts` contiguous slices; the last takes the remainder. */
export function splitRange(start: bigint, count: bigint, parts: number): { start: bigint; count: bigint }[] {
  const each = count / BigInt(parts);
  return Array.from({ length: parts }, (_, i) => ({
    start: start + each * BigInt(i),
    count: i === parts - 1 ? count - each * BigInt(parts - 1) : each,
  }));
}
