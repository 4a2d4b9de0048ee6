// Same-origin JSON, with what went wrong said plainly when it cannot be had.

export type Fetched = { ok: true; body: unknown } | { ok: false; unauthorized: boolean; reason: string };

const TIMEOUT_MS = 8000;

/**
 * `path` is relative to the page, so that the dashboard also works behind a proxy that serves it under a prefix. The
 * page's address may carry the password (`http://user:password@host/ui`, as operators bookmark it): browsers refuse a
 * request to such an address, so it is dropped from the request's, and the browser sends the password it opened the
 * page with.
 */
export async function fetchJson(path: string): Promise<Fetched> {
  const url = new URL(path, location.href);
  url.username = "";
  url.password = "";
  let response: Response;
  try {
    response = await fetch(url, { cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return { ok: false, unauthorized: false, reason: timedOut ? `no answer within ${TIMEOUT_MS / 1000} s` : "no connection" };
  }
  if (response.status === 401) return { ok: false, unauthorized: true, reason: "wrong or missing password" };
  if (!response.ok) return { ok: false, unauthorized: false, reason: `HTTP ${response.status}` };
  try {
    return { ok: true, body: await response.json() };
  } catch {
    return { ok: false, unauthorized: false, reason: "the answer was not JSON" };
  }
}
