// What post-service's polling costs a worker: a fast-mode worker with one search thread pinned to core 0, and this
// load generator pinned to core 1 sending 500 polls per second (GET of the running job, as post-service does) in
// windows that alternate with quiet ones. Prints the hash rate quiet and loaded (medians), the cost, and the
// latency of the polls. Only loopback; stops by itself.
//   taskset -c 1 bun bench/poll-load.ts [--rate 500] [--seconds 30] [--windows 6]
import { parseArgs } from "node:util";
import { hashesTotal, median, startPinnedWorker } from "./pinned-worker";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "500" },
    seconds: { type: "string", default: "30" },
    windows: { type: "string", default: "6" },
  },
});
const rate = Number(values.rate);
const windows = Number(values.windows);
const windowMs = (Number(values.seconds) * 1000) / windows;

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

const worker = startPinnedWorker("poll-load");
try {
  const { base, job } = await worker.ready();

  const quiet: number[] = [];
  const loaded: number[] = [];
  const latencies: number[] = [];
  let sent = 0;
  let unexpected = 0;
  const window = async (poll: boolean) => {
    const h0 = await hashesTotal(base);
    const t0 = performance.now();
    const inFlight: Promise<void>[] = [];
    let windowSent = 0;
    while (performance.now() - t0 < windowMs) {
      // Open loop: as many polls as the schedule says should have gone by now, whatever the answers' speed.
      const due = poll ? Math.floor(((performance.now() - t0) * rate) / 1000) : 0;
      for (; windowSent < due; windowSent++) {
        const started = performance.now();
        inFlight.push(
          fetch(job).then(async (r) => {
            await r.arrayBuffer();
            latencies.push(performance.now() - started);
            if (r.status !== 201) unexpected++;
          }),
        );
      }
      await Bun.sleep(1);
    }
    await Promise.all(inFlight);
    sent += windowSent;
    const hashRate = ((await hashesTotal(base)) - h0) / ((performance.now() - t0) / 1000);
    (poll ? loaded : quiet).push(hashRate);
    console.error(`poll-load: ${poll ? "loaded" : "quiet "} window: ${hashRate.toFixed(1)} H/s`);
  };
  for (let i = 0; i < windows; i++) {
    await window(false);
    await window(true);
  }
  await window(false);

  const q = median(quiet);
  const l = median(loaded);
  const cost = 1 - l / q;
  const p99 = percentile(latencies, 99);
  const seconds = (loaded.length * windowMs) / 1000;
  console.log(`polls: ${sent} in ${seconds} s (${(sent / seconds).toFixed(0)}/s), all 201: ${unexpected === 0 ? "yes" : `no, ${unexpected} were not`}`);
  console.log(`hash rate, 1 search thread: quiet ${q.toFixed(1)} H/s, polled ${l.toFixed(1)} H/s (medians of ${quiet.length} and ${loaded.length} windows)`);
  console.log(`cost of polling: ${(cost * 100).toFixed(2)}% (need < 3%) ${cost < 0.03 ? "PASS" : "FAIL"}`);
  console.log(
    `poll latency: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms ` +
      `(need p99 < 10 ms) ${p99 < 10 ? "PASS" : "FAIL"}`,
  );
} finally {
  await worker.stop();
}
