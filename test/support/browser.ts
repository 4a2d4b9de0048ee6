// Debian's chromium, headless, driven by playwright-core: closed when the test that opened it finishes, pass or
// fail. The flags keep it off the network (this machine's is closed) and out of any profile but a fresh one.
import { onTestFinished } from "bun:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { until } from "./until";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Chromium for the current test: closed when it finishes, pass or fail. */
export async function openBrowser(): Promise<Browser> {
  const browser = await launchChromium();
  onTestFinished(() => browser.close());
  return browser;
}

export interface StatusRecorder {
  /** Every /status body the page got, oldest first. */
  bodies: unknown[];
  /**
   * Holds the page's next requests for /status until release(), once the one under way has been answered and
   * drawn: the page then shows the last body, and goes on showing it while a test reads it.
   */
  hold(): Promise<void>;
  release(): void;
}

/** Passes the page's requests for GET /status through to the server, keeping the bodies it got. */
export async function recordStatus(page: Page): Promise<StatusRecorder> {
  const bodies: unknown[] = [];
  let gate: Promise<void> | null = null;
  let open = () => {};
  let underWay = 0;
  /** The page's data-updated before the last good answer was handed to it: once it differs, that answer is drawn. */
  let drawnBefore: string | null = null;
  await page.route(/\/status$/, async (route) => {
    if (gate !== null) await gate;
    underWay++;
    try {
      // A server gone away is a failed fetch for the page too.
      const response = await route.fetch().catch(() => null);
      if (response === null) return await route.abort("connectionrefused");
      const body = await response.text();
      if (response.ok()) bodies.push(JSON.parse(body));
      drawnBefore = response.ok() ? String(await page.evaluate("document.body.dataset.updated ?? ''")) : null;
      await route.fulfill({ response, body });
    } catch (err) {
      // The test ended while a request was on its way: its browser is closed, and there is no page left to answer.
      if (!page.isClosed() && !/has been closed/.test((err as Error).message)) throw err;
    } finally {
      underWay--;
    }
  });
  return {
    bodies,
    async hold() {
      gate = new Promise((resolve) => (open = resolve));
      await until("the page's /status requests under way to finish", async () => underWay === 0, 15_000);
      // The page draws a good answer, then stamps <body data-updated>: wait for the stamp of the last one.
      if (drawnBefore !== null) await page.waitForFunction(`document.body.dataset.updated !== ${JSON.stringify(drawnBefore)}`, undefined, { timeout: 15_000 });
    },
    release() {
      gate = null;
      open();
    },
  };
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
