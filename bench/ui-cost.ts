// What an open dashboard costs a worker's search: a fast-mode worker with one search thread, the whole worker pinned
// to core 0, and Debian's chromium (headless, started by this script, which runs on core 1) showing its /ui, with
// its live updates running, in windows that alternate with windows where the page is closed. Prints the hash rate
// with and without the page (medians) and the cost; and, since a window's hash rate varies by several percent on its
// own, the CPU time the worker's other threads (its event loop, which answers the page) took from the search
// thread's core, which measures the cost directly. Only loopback; stops by itself.
//   taskset -c 1 bun bench/ui-cost.ts [--seconds 90] [--windows 6]
import { readdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { launchChromium } from "../test/support/browser";
import { hashesTotal, median, startPinnedWorker } from "./pinned-worker";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "90" },
    windows: { type: "string", default: "6" },
  },
});
const windows = Number(values.windows);
const windowMs = (Number(values.seconds) * 1000) / windows;

/** CPU seconds of each of the worker's threads so far (utime + stime, in clock ticks of 10 ms). */
async function threadSeconds(pid: number): Promise<Map<string, number>> {
  const seconds = new Map<string, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await Bun.file(`/proc/${pid}/task/${tid}/stat`).text().catch(() => null);
    if (stat === null) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    seconds.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return seconds;
}

/** CPU seconds the threads other than the busiest (the search thread) took between two readings. */
function othersSeconds(before: Map<string, number>, after: Map<string, number>): number {
  const used = [...after].map(([tid, s]) => s - (before.get(tid) ?? 0)).sort((a, b) => b - a);
  return used.slice(1).reduce((sum, s) => sum + s, 0);
}

const browser = await launchChromium();
const worker = startPinnedWorker("ui-cost");
try {
  const { base } = await worker.ready();

  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const closed: number[] = [];
  const open: number[] = [];
  const closedCpu: number[] = [];
  const openCpu: number[] = [];
  let requests = 0;
  page.on("request", (r) => {
    if (r.url().startsWith(base)) requests++;
  });
  const window = async (withPage: boolean) => {
    if (withPage) {
      await page.goto(`${base}/ui`);
      await page.waitForSelector("[data-updated]:not([data-updated=''])");
    } else {
      await page.goto("about:blank");
    }
    const h0 = await hashesTotal(base);
    const cpu0 = await threadSeconds(worker.pid);
    const t0 = performance.now();
    await Bun.sleep(windowMs);
    const cpu = othersSeconds(cpu0, await threadSeconds(worker.pid)) / ((performance.now() - t0) / 1000);
    const hashRate = ((await hashesTotal(base)) - h0) / ((performance.now() - t0) / 1000);
    (withPage ? open : closed).push(hashRate);
    (withPage ? openCpu : closedCpu).push(cpu);
    console.error(`ui-cost: ${withPage ? "page open " : "page shut "} window: ${hashRate.toFixed(1)} H/s, other threads ${(cpu * 100).toFixed(2)}% of a core`);
  };
  for (let i = 0; i < windows; i++) {
    await window(false);
    await window(true);
  }
  await window(false);

  const without = median(closed);
  const withUi = median(open);
  const cost = 1 - withUi / without;
  const seconds = (open.length * windowMs) / 1000;
  console.log(`requests from the page: ${requests} in ${seconds.toFixed(0)} s open (${(requests / seconds).toFixed(2)}/s)`);
  console.log(`hash rate, 1 search thread: page shut ${without.toFixed(1)} H/s, page open ${withUi.toFixed(1)} H/s (medians of ${closed.length} and ${open.length} windows)`);
  console.log(`cost of an open dashboard, from the hash rates: ${(cost * 100).toFixed(2)}% (need < 1%) ${cost < 0.01 ? "PASS" : "FAIL"}`);
  // On the search thread's own core, every CPU second the other threads take is a second the search does not run.
  const taken = median(openCpu) - median(closedCpu);
  console.log(
    `the worker's other threads: ${(median(closedCpu) * 100).toFixed(2)}% of a core with the page shut, ${(median(openCpu) * 100).toFixed(2)}% open ` +
      `(medians): the page takes ${(taken * 100).toFixed(2)}% of the search's core (need < 1%) ${taken < 0.01 ? "PASS" : "FAIL"}`,
  );
} finally {
  await browser.close();
  await worker.stop();
}
