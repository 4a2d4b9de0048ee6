// Debian's chromium, headless, driven by playwright-core: closed when the test that opened it finishes, pass or
// fail. The flags keep it off the network (this machine's is closed) and out of any profile but a fresh one.
import { onTestFinished } from "bun:test";
import { chromium, type Browser, type Page } from "playwright-core";

export async function openBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  onTestFinished(() => browser.close());
  return browser;
}

/**
 * Passes the page's requests for GET /status through to the server and keeps the bodies it got: the last one is
 * what the page shows once it has drawn it.
 */
export async function recordStatus(page: Page): Promise<unknown[]> {
  const bodies: unknown[] = [];
  await page.route(/\/status$/, async (route) => {
    // A server gone away is a failed fetch for the page too.
    const response = await route.fetch().catch(() => null);
    if (response === null) return route.abort("connectionrefused");
    const body = await response.text();
    if (response.ok()) bodies.push(JSON.parse(body));
    await route.fulfill({ response, body });
  });
  return bodies;
}

/** Console errors and uncaught exceptions of the page, which a test expects to stay empty. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !/401|Unauthorized|Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  return errors;
}
