// The pool's status at fleet size: 10,000 workers joined to a real pool server over loopback, each through one range
// of a job (the coordinator's checker is a stand-in at its seam, passing every share: what is checked is not the
// subject here). /status stays under 64 KiB and lists the workers most worth a look with a summary of all; GET
// /status/workers pages through every one and searches them; /metrics keeps per-worker series to those listed; the
// rate history keeps each worker's rate only for a small fleet; the dashboard in a real browser shows the fleet,
// lists those, and finds any other (a screenshot goes to test-output/dashboard/ and, updated by hand, the README).
// Which workers are listed, and the query's rules, are shown on their own (listWorkers, workerQuery).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createPoolServer } from "../src/http/pool-server";
import { Coordinator } from "../src/pool/coordinator";
import { JobStore } from "../src/pool/job-store";
import { CHARTED_WORKERS } from "../src/pool/pool-activity";
import { PROTOCOL_VERSION, type PoolMessage, type Work } from "../src/pool/protocol";
import { LISTED_WORKERS, listWorkers, PAGE_LIMIT, workerQuery } from "../src/pool/worker-list";
import type { PoolStatusJson, PoolWorker, RateHistoryReport, WorkerPageJson } from "../src/wire/status";
import { openBrowser, pageErrors } from "./support/browser";
import { ManualClock } from "./support/manual-clock";
import { until } from "./support/until";
import { jobPath } from "./support/worker";

const FLEET = 10_000;
/** Every this many workers, one reports its range with its shares in the first half only: a claim not proven. */
const THIN_EVERY = 1_000;
const OUT = join(import.meta.dir, "..", "test-output", "dashboard");
const clock = new ManualClock();
const coordinator = new Coordinator({
  store: new JobStore(":memory:"),
  // A verifier that keeps up with anything: every range audited, so a thin one counts against its worker.
  checker: { check: async () => true, capacity: () => 1e9, pending: 0 },
  queueSize: 10,
  jobTimeoutSeconds: 0,
  clock,
});
let server: ReturnType<ReturnType<typeof createPoolServer>["listen"]>;
let base: string;
const name = (i: number) => `w-${String(i).padStart(5, "0")}`;

beforeAll(async () => {
  coordinator.start();
  const work = new Map<number, Work>();
  for (let i = 0; i < FLEET; i++) {
    const address = `10.0.${Math.floor(i / 250)}.${i % 250}`;
    const worker = { id: 0 };
    const send = (m: PoolMessage) => {
      if (m.type === "work") work.set(worker.id, m);
    };
    const link = { remote: `${address}:4000`, address, send, close: () => {}, holdOff: () => {} };
    const mode = i % 10 === 0 ? "light" : "fast";
    const hello = { type: "hello", protocol: PROTOCOL_VERSION, token: "", name: name(i), version: "test", threads: 1 + (i % 16), mode } as const;
    worker.id = coordinator.join(link, hello);
  }
  const pool = createPoolServer({
    coordinator,
    version: "test",
    workerToken: "0123456789abcdef0123456789abcdef",
    maxExpectedHashes: 1e15,
    limits: { queueSize: 10, queuePerAddress: 10, jobTimeoutSeconds: 0 },
  });
  server = pool.listen("127.0.0.1", 0);
  base = `http://127.0.0.1:${server.port}`;
  // A job about 2^40 hashes long, that no worker here finds: each searches its first range and reports its shares.
  const job = { miner: "3c".repeat(32), nonceGroup: 1, challenge: "a1b2c3d4e5f60718", difficulty: "000000ff" + "ff".repeat(28) };
  expect((await fetch(base + jobPath(job))).status).toBe(201);
  await until("every worker to have a range", async () => work.size === FLEET, 30_000);
  clock.advance(2_000);
  for (const [id, w] of work) {
    const [start, count] = [BigInt(w.start), BigInt(w.count)];
    const thin = id % THIN_EVERY === 0;
    for (let k = 0n; k < 72n; k++) {
      const nonce = start + ((2n * k + 1n) * count) / (thin ? 288n : 144n);
      coordinator.receive(id, { type: "share", range: w.range, nonce: nonce.toString() });
    }
    coordinator.receive(id, { type: "done", range: w.range });
  }
  await until("every range's checks to be in", async () => coordinator.status().fleet.measuring === 0, 30_000);
});

afterAll(() => {
  server?.stop(true);
  coordinator.close();
});

test("/status for 10,000 workers is under 64 KiB: a summary of all, and the 50 most worth a look", async () => {
  const response = await fetch(`${base}/status`);
  const body = await response.text();
  expect(body.length).toBeLessThan(64 * 1024);
  const status = JSON.parse(body) as PoolStatusJson;
  expect(status.totals.workers).toBe(FLEET);
  expect(status.workers).toHaveLength(LISTED_WORKERS);
  const { hashRate, ...counts } = status.fleet;
  expect(counts).toEqual({
    listed: "suspicious and slowest",
    fast: 9_000,
    light: 1_000,
    threads: 85_000,
    searching: FLEET, // each on its second range (a thin claim is caught at the fifth in ten)
    measuring: 0,
    suspicious: FLEET / THIN_EVERY,
  });
  expect(hashRate!.p10).toBeLessThan(hashRate!.p50);
  // The suspicious first, then the slowest.
  const listed = status.workers;
  expect(listed.slice(0, 10).every((w) => w.thinClaims === 1)).toBe(true);
  const rates = listed.slice(10).map((w) => w.hashRate!);
  expect(rates).toEqual([...rates].sort((a, b) => a - b));
  expect(rates.at(-1)!).toBeLessThanOrEqual(hashRate!.p10);
});

test("GET /status/workers pages through every worker by label, and finds one by name or address", async () => {
  const seen = new Set<string>();
  for (let offset = 0; ; offset += PAGE_LIMIT) {
    const page = (await (await fetch(`${base}/status/workers?offset=${offset}&limit=${PAGE_LIMIT}`)).json()) as WorkerPageJson;
    expect(page.total).toBe(FLEET);
    if (page.workers.length === 0) break;
    for (const w of page.workers) seen.add(w.name);
  }
  expect(seen.size).toBe(FLEET);
  const byName = (await (await fetch(`${base}/status/workers?search=W-04242`)).json()) as WorkerPageJson;
  expect(byName.workers.map((w) => w.name)).toEqual([name(4242)]);
  const byAddress = (await (await fetch(`${base}/status/workers?search=10.0.39.`)).json()) as WorkerPageJson;
  expect(byAddress.matched).toBe(250);
  expect(byAddress.workers).toHaveLength(50);
});

test("a bad query to /status/workers is a 400 that says what is wrong; another page of /status is a 404", async () => {
  for (const [query, reason] of [
    ["limit=0", "limit must be a whole number from 1 to 200"],
    ["limit=201", "limit must be a whole number from 1 to 200"],
    ["offset=-1", "offset must be a whole number, 0 or more"],
    ["offset=1e3", "offset must be a whole number, 0 or more"],
    [`search=${"x".repeat(101)}`, "search must be at most 100 characters"],
  ]) {
    const response = await fetch(`${base}/status/workers?${query}`);
    expect({ status: response.status, body: await response.text() }).toEqual({ status: 400, body: `${reason}\n` });
  }
  expect((await fetch(`${base}/status/constructor`)).status).toBe(404);
  expect((await fetch(`${base}/status/nope`)).status).toBe(404);
});

test("/metrics at 10,000 workers has per-worker series for the listed ones only", async () => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const series = text.split("\n").filter((line) => line.startsWith("k2pow_pool_worker_shares_checked{"));
  expect(series).toHaveLength(LISTED_WORKERS);
  expect(text).toMatch(/^k2pow_pool_workers 10000$/m);
  expect(text.length).toBeLessThan(64 * 1024);
});

test("the rate history keeps the fleet's total only, past the workers a chart can draw a line each for", async () => {
  clock.advance(5_000);
  const history = (await (await fetch(`${base}/status/history`)).json()) as RateHistoryReport;
  expect(history.points.length).toBeGreaterThan(0);
  for (const point of history.points) expect(point.workers).toBeUndefined();
  expect(CHARTED_WORKERS).toBeLessThan(FLEET);
});

/** A listed worker as /status has it, with what ranks it. */
const worker = (label: string, hashRate: number | null, thinClaims = 0): PoolWorker => ({
  id: 1,
  name: label,
  label,
  remote: "192.0.2.1:4000",
  threads: 1,
  mode: "fast",
  connectedSeconds: 1,
  hashRate,
  shares: { received: 0, checked: 0, rejected: 0 },
  claims: { ranges: 0, proven: 0 },
  thinClaims,
  range: null,
});

test("a small fleet is listed whole, in join order; a large one, the suspicious first, then the slowest", () => {
  const small = [worker("a", 5), worker("b", null), worker("c", 1)];
  expect(listWorkers(small).workers).toEqual(small);
  expect(listWorkers(small).fleet.listed).toBe("all");

  const fast = Array.from({ length: 100 }, (_, i) => worker(`fast${i}`, 1_000 + i));
  const large = [...fast, worker("slow", 10), worker("new", null), worker("suspect", 5_000, 2), worker("worse", 9_000, 3)];
  const { workers, fleet } = listWorkers(large);
  expect(workers.map((w) => w.label).slice(0, 5)).toEqual(["worse", "suspect", "new", "slow", "fast0"]);
  expect(workers).toHaveLength(LISTED_WORKERS);
  expect(fleet.suspicious).toBe(2);
  expect(fleet.measuring).toBe(1);
  // 103 rates, slowest first: slow, fast0 ... fast99, suspect, worse. A tenth of 103 rounded down is 10: the 11th,
  // fast9; half, 51: fast50; nine tenths, 92: fast91.
  expect(fleet.hashRate).toEqual({ p10: 1_009, p50: 1_050, p90: 1_091, max: 9_000 });
});

test("GET /status/workers's query: defaults, and whole numbers only", () => {
  expect(workerQuery({})).toEqual({ search: "", offset: 0, limit: 50 });
  expect(workerQuery({ search: "x", offset: "400", limit: "200" })).toEqual({ search: "x", offset: 400, limit: 200 });
  expect(workerQuery({ limit: "2.5" })).toBe("limit must be a whole number from 1 to 200");
  expect(workerQuery({ offset: " 1" })).toBe("offset must be a whole number, 0 or more");
});

test("the dashboard at 10,000 workers: the fleet in a line, the 50 most worth a look, and a search for any other", async () => {
  const browser = await openBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors = pageErrors(page);
  expect((await page.goto(`${base}/ui`))?.status()).toBe(200);
  await page.waitForSelector("[data-updated]:not([data-updated=''])", { timeout: 15_000 });
  expect(await page.getAttribute('[data-field="workerCount"]', "data-value")).toBe(String(FLEET));
  const summary = await page.innerText('[data-field="fleetSummary"]');
  // Counts group their digits with a narrow space.
  expect(summary).toMatch(/^9\s000 fast, 1\s000 light; 85\s000 threads/);
  expect(summary).toContain("10 with a claim not proven of late");
  const shows = () => page.innerText('[data-field="workerTableShows"]');
  const rows = async () => Promise.all((await page.$$("[data-worker]")).map((row) => row.getAttribute("data-worker")));
  // By default, the ones /status lists, as it lists them.
  const listed = (await (await fetch(`${base}/status`)).json()) as PoolStatusJson;
  expect(await shows()).toBe("The 50 of 10\u202f000 most worth a look: the suspicious, then the slowest");
  expect(await rows()).toEqual(listed.workers.map((w) => w.label));
  await page.fill('[data-field="workerSearch"]', "w-04242");
  await until("the search to find w-04242", async () => (await shows()) === "1–1 of 1 matching, of 10\u202f000 workers", 15_000);
  expect(await rows()).toEqual([`${name(4242)}#4243`]);
  await page.click('[data-field="showAll"]');
  await until("the first page of all the workers", async () => (await shows()) === "1–50 of 10\u202f000", 15_000);
  expect(await rows()).toEqual(Array.from({ length: 50 }, (_, i) => `${name(i)}#${i + 1}`));
  await page.click("text=Next");
  await until("the second page", async () => (await shows()) === "51–100 of 10\u202f000", 15_000);
  await page.click('[data-field="showListed"]');
  expect(await rows()).toEqual(listed.workers.map((w) => w.label));
  mkdirSync(OUT, { recursive: true });
  // The first screen of it, as the README shows it.
  await page.screenshot({ path: join(OUT, "pool-10000.png") });
  expect(errors).toEqual([]);
}, 60_000);
