// Waiting in tests for something that happens in another process or thread: polled, bounded, and failing with a
// message that names what never came.

/** The first value `read` gives that is not null, undefined or false; throws after `ms`. */
export async function until<T>(what: string, read: () => Promise<T | null | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
