/** Asks for a job as post-service does, every 50 ms until the answer is no longer 201; returns that answer. */
export async function pollUntilAnswered(url: string): Promise<{ status: number; body: string }> {
  for (;;) {
    const r = await fetch(url);
    const body = await r.text();
    if (r.status !== 201) return { status: r.status, body };
    await Bun.sleep(50);
  }
}
