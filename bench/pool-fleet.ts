// The pool at fleet scale, simulated (bench/fleet/simulation.ts): for each fleet size, the real coordinator with N
// simulated workers on a simulated clock, and what it costs and does. Figures are from one run; the coordinator's
// time is measured on this machine, the rest is counted.
//   bun bench/pool-fleet.ts [--workers 10,100,1000,10000] [--seconds 300] [--checks 650] [--jobs 8] [--job-seconds 30]
//                           [--seed 1] [--json]
//                           [--events]   (every event of the pool, as it happens)
import { parseArgs } from "node:util";
import { rangeSeconds } from "../src/pool/range-length";
import { toWire } from "../src/wire/status";
import { simulateFleet, type FleetReport, type JobOutcome } from "./fleet/simulation";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "10,100,1000,10000" },
    seconds: { type: "string", default: "300" },
    checks: { type: "string", default: "650" },
    jobs: { type: "string", default: "8" },
    "job-seconds": { type: "string", default: "30" },
    seed: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    events: { type: "boolean", default: false },
  },
});

/** The issue's goals for 10,000 workers, checked at every size. */
const GOALS = { corePercent: 10, checksOfCapacity: 0.5, jobOverIdeal: 1.05, proven: 0.99, statusBytes: 64 * 1024 };
/**
 * About 5,550 H/s a worker on average (30 to 40,000 H/s, log-uniform): units sized so a job takes `--job-seconds` of
 * the fleet's work (30 by default; longer jobs let ranges of minutes finish, and so claims, and liars, be weighed).
 */
const unitsFor = (workers: number) => Math.max(4, Math.round((workers * 5_550 * Number(values["job-seconds"])) / 4_693));

const jobs = Number(values.jobs);
const reports: FleetReport[] = [];
for (const workers of values.workers.split(",").map(Number)) {
  const report = await simulateFleet({
    workers,
    seconds: Number(values.seconds),
    jobs,
    units: unitsFor(workers),
    checksPerSecond: Number(values.checks),
    liarsOfEach: Math.max(1, Math.round(workers / 1000)),
    leaving: Math.round(workers * 0.05),
    dying: Math.round(workers * 0.01),
    seed: Number(values.seed),
    onEvent: values.events ? (seconds, e) => e.type !== "progress" && console.log(seconds.toFixed(2), JSON.stringify(toWire(e))) : undefined,
  });
  reports.push(report);
  if (!values.json) print(report);
}
if (values.json) console.log(JSON.stringify(reports));

function print(r: FleetReport): void {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
  // Where a job's nonce lies is luck (its time ÷ the expected time is exponential, mean 1): the goal is weighed
  // against the time to search up to the job's first valid nonce, which takes the luck out.
  const overIdeal = r.jobs.map((j) => j.seconds / j.idealSeconds);
  const total = r.jobs.reduce((sum, j) => sum + j.seconds, 0);
  const range = rangeSeconds(r.workers, r.checkCapacity);
  const expected = r.jobs.reduce((sum, j) => sum + j.idealSeconds, 0);
  const worst = r.jobs.reduce<JobOutcome | null>((w, j) => (w === null || (j.seconds - range) / j.firstSeconds > (w.seconds - range) / w.firstSeconds ? j : w), null);
  const ok = (pass: boolean) => (pass ? "ok" : "MISSED");
  console.log(`\n== ${r.workers} workers, ${(r.fleetRate / 1e6).toFixed(2)} MH/s in all, jobs at ${r.units} space units; ${r.simulatedSeconds.toFixed(0)} s simulated`);
  // Claims credit whole ranges only: where jobs end before ranges do, this says little of the fleet's use.
  console.log(`claimed searched: ${(r.searchedPerSecond / 1e6).toFixed(2)} MH/s of the fleet's ${(r.fleetRate / 1e6).toFixed(2)} (${((100 * r.searchedPerSecond) / r.fleetRate).toFixed(0)}%)`);
  console.log(`coordinator: ${r.coordinatorCorePercent.toFixed(1)}% of a core (${ok(r.coordinatorCorePercent < GOALS.corePercent)}); heap ${(r.heapBytesPerWorker / 1024).toFixed(1)} KiB a worker (the simulated worker's included)`);
  console.log(
    `checks asked: ${r.checksAskedPerSecond.toFixed(0)}/s of a ${r.checkCapacity}/s verifier (${((100 * r.checksAskedPerSecond) / r.checkCapacity).toFixed(0)}%, ${ok(r.checksAskedPerSecond <= GOALS.checksOfCapacity * r.checkCapacity)}), ` +
      `and ${r.spareAskedPerSecond.toFixed(0)}/s more for its spare time`,
  );
  const percent = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)}%`;
  console.log(
    `claims proven: ${r.claimsInRun.proven} of ${r.claimsInRun.claims} when the last job was answered (${percent(r.claimsInRun.proven, r.claimsInRun.claims)}); ` +
      (r.drainSeconds === null ? "with a job still unanswered (no idle time for the spare checks), " : `once the verifier's spare time caught up (${r.drainSeconds.toFixed(0)} s of an idle fleet), `) +
      "of the honest workers connected " +
      `${r.honestClaimsProven} of ${r.honestClaims} (${percent(r.honestClaimsProven, r.honestClaims)}, ${ok(r.honestClaimsProven >= GOALS.proven * r.honestClaims)}), ` +
      `of all, liars' included, ${r.claimsProven} of ${r.claims} (${percent(r.claimsProven, r.claims)})`,
  );
  console.log(
    `jobs answered: ${r.jobs.length} of ${jobs}, ${r.jobs.filter((j) => j.valid).length} with a valid nonce; ` +
      `against the time to search up to its first valid nonce at the fleet's rate, the slowest ${worst ? `${worst.seconds.toFixed(0)} s for ${worst.firstSeconds.toFixed(0)} s` : "?"} ` +
      `(${ok(r.jobs.length === jobs && r.jobs.every((j) => j.seconds <= GOALS.jobOverIdeal * j.firstSeconds + range))}, each within ${GOALS.jobOverIdeal}× that plus a range of ${range.toFixed(0)} s); ` +
      `against the expected time (expected hashes ÷ fleet rate, ${r.jobs[0]?.idealSeconds.toFixed(1) ?? "?"} s each) median ${median(overIdeal).toFixed(2)}×, all jobs ${(total / Math.max(1, expected)).toFixed(2)}×`,
  );
  console.log(
    `liars caught (the spare time's catches included): ${r.liarsCaught} of ${r.liars} (${ok(r.liarsCaught === r.liars)})${r.catchSeconds ? `, each in median ${r.catchSeconds.median.toFixed(1)} s, slowest ${r.catchSeconds.max.toFixed(1)} s` : ""}; honest workers dropped: ${r.honestDropped} (${ok(r.honestDropped === 0)}), and ${r.silentDropped} gone silent on purpose`,
  );
  console.log(
    `/status ${(r.status.bytes / 1024).toFixed(0)} KiB in ${r.status.ms.toFixed(1)} ms (${ok(r.status.bytes < GOALS.statusBytes)}); /metrics ${(r.metrics.bytes / 1024).toFixed(0)} KiB in ${r.metrics.ms.toFixed(1)} ms`,
  );
}
