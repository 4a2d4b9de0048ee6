import { until } from "./until";

/** Asks for a job as post-service does until the answer is no longer 201; returns that answer, or throws naming the job. */
export function pollUntilAnswered(url: string, ms = 90_000): Promise<{ status: number; body: string }> {
  return until(`an answer (anything but 201) to ${new URL(url).pathname}`, async () => {
    const r = await fetch(url);
    const body = await r.text();
    return r.status === 201 ? null : { status: r.status, body };
  }, ms);
}
