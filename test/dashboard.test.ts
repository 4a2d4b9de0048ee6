// The dashboard at /ui in a real headless browser (Debian's chromium) against real processes on loopback: a
// light-mode worker with one job done and one running, a pool with two workers on a job and one queued, and a
// fast-mode worker building its dataset. The page must show what /status said when it drew it, draw the last
// hour's rates, update without a reload, show nothing without the password, and keep its last data marked stale
// when the box goes away. Screenshots (wide and phone) go to test-output/dashboard/ for a person to look at.
import { expect, onTestFinished, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { POOL_PATH, PROTOCOL_VERSION } from "../src/pool/protocol";
import { openBrowser, pageErrors, recordStatus, type StatusRecorder } from "./support/browser";
import { startK2pow } from "./support/k2pow-process";
import { until } from "./support/until";
import { EASY } from "./support/vectors";
import { jobPath } from "./support/worker";

const main = join(import.meta.dir, "..", "src", "main.ts");
const OUT = join(import.meta.dir, "..", "test-output", "dashboard");
mkdirSync(OUT, { recursive: true });
const TOKEN = "dashboard-test-token-0123456789abcdef";
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_WORKER_TOKEN: TOKEN };
const AUTH = "operator:watching";
const credentials = { username: "operator", password: "watching" };
const headers = { authorization: `Basic ${Buffer.from(AUTH).toString("base64")}` };
const WIDE = { width: 1400, height: 1000 };
const PHONE = { width: 390, height: 844 };

const job = (nonceGroup: number, difficulty: string) => ({ miner: "3c".repeat(32), nonceGroup, challenge: "a1b2c3d4e5f60718", difficulty });
/** About 2^24 hashes expected: hours of a light-mode worker, so it runs for the whole test. */
const LONG = "000000ff" + "ff".repeat(28);

const getJson = async <T>(url: string): Promise<T> => (await fetch(url, { headers })).json() as Promise<T>;

/** A page on `base`/ui with the password, its /status bodies recorded, drawn at least once. */
async function openDashboard(browser: Browser, base: string, viewport: { width: number; height: number }) {
  const context = await browser.newContext({ viewport, httpCredentials: credentials });
  const page = await context.newPage();
  const errors = pageErrors(page);
  const status = await recordStatus(page);
  const answer = await page.goto(`${base}/ui`);
  expect(answer?.status()).toBe(200);
  await page.waitForSelector("[data-updated]:not([data-updated=''])", { timeout: 15_000 });
  return { page, status, errors };
}

// What runs in the page is given as text: this project's types know no DOM.
const attr = (page: Page, selector: string, name: string) => page.getAttribute(selector, name);
const value = async (page: Page, field: string) => Number(await attr(page, `[data-field="${field}"]`, "data-value"));
const text = (page: Page, field: string) => page.innerText(`[data-field="${field}"]`);
const pageWidth = async (page: Page) => Number(await page.evaluate("document.documentElement.scrollWidth"));

/** Waits for the page to draw a /status it had not drawn yet, then holds its polls: it shows that body until released. */
async function nextDrawn<T>(page: Page, status: StatusRecorder): Promise<T> {
  const before = await attr(page, "[data-updated]", "data-updated");
  await until("the page to draw a newer /status", async () => (await attr(page, "[data-updated]", "data-updated")) !== before, 15_000);
  await status.hold();
  return status.bodies.at(-1) as T;
}

/** Waits for the chart to have `atLeast` points, and gives how many it has. */
const chartPoints = (page: Page, atLeast: number) =>
  until(`${atLeast} points on the chart`, async () => {
    const points = Number(await attr(page, "[data-points]", "data-points"));
    return points >= atLeast ? points : null;
  }, 30_000);

interface WorkerBody {
  hashRate: number;
  engine: { mode: string; threads: number };
  job: { hashes: number; expectedHashes: number } | null;
  jobs: { done: number };
  recent: { jobs: { nonce: string | null }[] };
  refused: Record<string, number>;
}

test("worker: idle, then the page shows /status as it was, charts the rate, updates live, needs the password, goes stale", async () => {
  const worker = await startK2pow([process.execPath, main, "serve", "-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1", "--auth", AUTH], { env });
  const browser = await openBrowser();
  // Before any job, once its engine is up (a second or so): idle, and says what it waits for.
  await until("the worker's engine to be ready", async () => (await getJson<{ engine: { phase: string } }>(`${worker.base}/status`)).engine.phase === "ready");
  const idle = await openDashboard(browser, worker.base, WIDE);
  expect((await text(idle.page, "state")).toLowerCase()).toContain("idle");
  expect(await idle.page.innerText("body")).toContain("waiting for post-service");
  await idle.page.close();
  // Opened as operators bookmark it, the password in the address: the page's own requests work too.
  const bookmarked = await (await browser.newContext({ viewport: WIDE })).newPage();
  const opened = await bookmarked.goto(`${worker.base.replace("http://", `http://${AUTH}@`)}/ui`);
  expect(opened?.status()).toBe(200);
  await bookmarked.waitForSelector("[data-updated]:not([data-updated=''])", { timeout: 15_000 });
  expect((await text(bookmarked, "state")).toLowerCase()).toContain("idle");
  await bookmarked.close();
  // One job done, for the list of the last jobs; one running, for progress.
  const done = jobPath(job(1, EASY));
  await until("the easy job's answer", async () => (await fetch(worker.base + done, { headers })).status === 200);
  expect((await fetch(worker.base + jobPath(job(2, LONG)), { headers })).status).toBe(201);
  await until("the long job to run with a rate", async () => ((await getJson<WorkerBody>(`${worker.base}/status`)).hashRate > 0 ? true : null));
  // post-service's next nonce group, polling while this job runs: busy, which is not a refusal.
  expect((await fetch(worker.base + jobPath(job(3, EASY)), { headers })).status).toBe(429);

  const { page, status, errors } = await openDashboard(browser, worker.base, WIDE);
  expect(await chartPoints(page, 2)).toBeGreaterThanOrEqual(2);

  const shown = await nextDrawn<WorkerBody>(page, status);
  expect(await value(page, "hashRate")).toBe(shown.hashRate);
  expect(await value(page, "jobHashes")).toBe(shown.job!.hashes);
  expect(await value(page, "jobExpected")).toBe(shown.job!.expectedHashes);
  expect(await value(page, "jobsDone")).toBe(1);
  expect(await value(page, "busy")).toBe(1);
  // The refusals are the 401s of the pages opened without the password at first; busy is not among them.
  expect(await value(page, "refused")).toBe(shown.refused.unauthorized ?? 0);
  expect(await attr(page, `[data-field="refused"]`, "title")).not.toContain("busy");
  expect(await text(page, "busy")).toBe("1 (another job was running; post-service retries)");
  expect(await value(page, "threads")).toBe(shown.engine.threads);
  expect(await text(page, "mode")).toContain("light");
  expect((await text(page, "state")).toLowerCase()).toMatch(/working|running/);
  // What a person reads: the rate in H/s to a tenth, the expected hashes (about 2^24 for this job) in full.
  const rate = (await text(page, "hashRate")).match(/^([\d.]+)\s*H\/s$/);
  expect(Math.abs(Number(rate?.[1]) - shown.hashRate)).toBeLessThanOrEqual(0.05);
  expect((await text(page, "jobExpected")).replace(/\s/g, "")).toContain(String(Math.round(shown.job!.expectedHashes)));
  expect(Math.round(shown.job!.expectedHashes)).toBe(2 ** 24);
  // The job done is listed with its nonce, as /status gave it.
  const nonce = shown.recent.jobs[0]!.nonce!;
  expect(nonce).toMatch(/^\d+$/);
  expect(await page.innerText("body")).toContain(nonce);

  // Live: the same document draws newer numbers.
  await page.evaluate("window.sameDocument = true");
  status.release();
  const later = await nextDrawn<WorkerBody>(page, status);
  expect(later.job!.hashes).toBeGreaterThan(shown.job!.hashes);
  expect(await value(page, "jobHashes")).toBe(later.job!.hashes);
  expect(await page.evaluate("window.sameDocument")).toBe(true);
  await page.screenshot({ path: join(OUT, "worker.png"), fullPage: true });
  status.release();

  const phone = await openDashboard(browser, worker.base, PHONE);
  await chartPoints(phone.page, 2);
  // Nothing wider than the phone's screen but what scrolls inside its own card.
  expect(await pageWidth(phone.page)).toBeLessThanOrEqual(PHONE.width);
  await phone.page.screenshot({ path: join(OUT, "worker-phone.png"), fullPage: true });

  // A wrong password gets the 401 and no data at all.
  const stranger = await (await browser.newContext({ httpCredentials: { username: "operator", password: "guess" } })).newPage();
  const refused = await stranger.goto(`${worker.base}/ui`);
  expect(refused?.status()).toBe(401);
  expect(await stranger.$$("[data-field]")).toHaveLength(0);
  expect(await stranger.innerText("body")).not.toContain(nonce);

  // The stranger shares the page's address (127.0.0.1), which its wrong password held off for a second: the page's
  // polls got 429 meanwhile (the cost the README states). It is fresh again once that has passed.
  await page.waitForSelector('body[data-stale="false"]', { timeout: 15_000 });
  // The worker goes away: the page keeps what it last had, marked stale. Its polls are held while the last
  // number is read and the worker killed, so no answer sent before the kill is drawn after the read.
  await status.hold();
  const last = await value(page, "jobHashes");
  expect(last).toBe((status.bodies.at(-1) as WorkerBody).job!.hashes);
  worker.proc.kill("SIGKILL");
  await worker.proc.exited;
  status.release();
  await page.waitForSelector('[data-stale="true"]', { timeout: 15_000 });
  expect(await value(page, "jobHashes")).toBe(last);
  expect((await page.innerText("body")).toLowerCase()).toContain("unreachable");
  await page.screenshot({ path: join(OUT, "worker-unreachable.png"), fullPage: true });
  expect(errors).toEqual([]);
}, 120_000);

interface PoolBody {
  workers: { id: number; name: string; hashRate: number | null; shares: { checked: number; rejected: number }; claims: { ranges: number; proven: number } }[];
  job: { searched: string; expectedHashes: number } | null;
  queue: unknown[];
  totals: { hashRate: number; workers: number };
  recent: { answers: { nonce: string | null }[] };
}

test("pool: two workers on a job and one queued; the page shows /status as it was, charts every worker's rate, on a phone too", async () => {
  const pool = await startK2pow([process.execPath, main, "pool", "-b", "127.0.0.1:0", "--check-mode", "light", "--db", ":memory:", "--auth", AUTH], { env });
  for (const name of ["box-a", "box-b"]) {
    await startK2pow([process.execPath, main, "join", pool.base, "--randomx-mode", "light", "--cores", "1", "--name", name], {
      env,
      ready: /connected to the pool/,
    });
  }
  const done = jobPath(job(3, EASY));
  await until("the easy job's answer", async () => (await fetch(pool.base + done, { headers })).status === 200, 90_000);
  for (const group of [4, 5]) expect((await fetch(pool.base + jobPath(job(group, LONG)), { headers })).status).toBe(201);
  await until(
    "both workers to have a proven rate",
    async () => (await getJson<PoolBody>(`${pool.base}/status`)).workers.filter((w) => w.hashRate !== null).length === 2,
    90_000,
  );

  const browser = await openBrowser();
  const { page, status, errors } = await openDashboard(browser, pool.base, WIDE);
  await chartPoints(page, 2);
  const shown = await nextDrawn<PoolBody>(page, status);
  expect(await value(page, "totalHashRate")).toBe(shown.totals.hashRate);
  expect(await value(page, "workerCount")).toBe(2);
  expect(await value(page, "queueLength")).toBe(shown.queue.length);
  expect(shown.queue).toHaveLength(2);
  expect(await value(page, "jobSearched")).toBe(Number(shown.job!.searched));
  expect(await value(page, "jobExpected")).toBe(shown.job!.expectedHashes);
  for (const w of shown.workers) {
    const row = `[data-worker="${w.name}#${w.id}"]`;
    expect(Number(await attr(page, `${row} [data-field="workerHashRate"]`, "data-value"))).toBe(w.hashRate!);
    expect(Number(await attr(page, `${row} [data-field="sharesChecked"]`, "data-value"))).toBe(w.shares.checked);
    expect(Number(await attr(page, `${row} [data-field="sharesRejected"]`, "data-value"))).toBe(0);
    expect(Number(await attr(page, `${row} [data-field="rangesProven"]`, "data-value"))).toBe(w.claims.proven);
  }
  expect(await page.innerText("body")).toContain(shown.recent.answers[0]!.nonce!);
  // One line per worker beside the total.
  expect((await page.$$(".u-legend .u-series")).length).toBeGreaterThanOrEqual(3);
  await page.screenshot({ path: join(OUT, "pool.png"), fullPage: true });
  status.release();

  // A token holder names itself as markup, as long as a name may be: the page shows it as text and runs nothing,
  // and the metrics label it as the status names it.
  const hostile = "<img/src=x/onerror=alert(1)>".padEnd(64, "w");
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const ws = new WebSocket(`${pool.base.replace("http", "ws")}${POOL_PATH}`);
  onTestFinished(() => ws.close());
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token: TOKEN, name: hostile, version: "test", threads: 1, mode: "light" }));
  const row = await until("the page to list the worker named as markup", () => page.$(`[data-worker^="${hostile}#"]`), 30_000);
  expect(await row.innerText()).toContain(hostile);
  expect(await page.$$("img")).toHaveLength(0);
  expect(dialogs).toEqual([]);
  const metrics = await (await fetch(`${pool.base}/metrics`, { headers })).text();
  const labels = [...metrics.matchAll(/^k2pow_pool_worker_shares_checked\{worker="([^"]*)"\}/gm)].map((m) => m[1]);
  expect(labels.sort()).toEqual(["box-a", "box-b", hostile].sort());

  const phone = await openDashboard(browser, pool.base, PHONE);
  expect(await pageWidth(phone.page)).toBeLessThanOrEqual(PHONE.width);
  await phone.page.screenshot({ path: join(OUT, "pool-phone.png"), fullPage: true });
  expect([...errors, ...phone.errors]).toEqual([]);
}, 240_000);

test("a fast-mode worker building its dataset says so, with how far it is", async () => {
  const worker = await startK2pow([process.execPath, main, "serve", "-b", "127.0.0.1:0", "--randomx-mode", "fast", "--pages", "plain", "--auth", AUTH], { env });
  const browser = await openBrowser();
  const { page, errors } = await openDashboard(browser, worker.base, WIDE);
  // It allocates first ("starting"), then builds for about 25 s: the page says so, and how far it has got.
  const percent = async () => {
    const shown = (await text(page, "state")).toLowerCase();
    return shown.includes("building") ? Number(shown.match(/(\d+)\s*%/)?.[1] ?? NaN) : null;
  };
  const first = await until("the page to say the dataset builds, past 0%", async () => {
    const shown = await percent();
    return shown !== null && shown > 0 ? shown : null;
  }, 20_000);
  await until("the page to show the build moving on", async () => ((await percent()) ?? 0) > first, 20_000);
  await page.screenshot({ path: join(OUT, "worker-building.png"), fullPage: true });
  worker.proc.kill("SIGKILL");
  expect(errors).toEqual([]);
}, 60_000);
