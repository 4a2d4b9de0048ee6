// The fleet simulator (bench/fleet/simulation.ts) at 100 workers, as CI runs it: the real coordinator with simulated
// workers on a simulated clock, its draws seeded, so every run is the same run. What must hold at any size is asserted
// here, with the share of honest claims proven; the figures that show where the pool stops scaling (checks asked,
// the coordinator's time, /status size) are bench/pool-fleet.ts's to print, not pass/fail bounds.
import { expect, test } from "bun:test";
import { LIARS, simulateFleet } from "../bench/fleet/simulation";

test("100 simulated workers, liars of every kind among them, some leaving and some going silent: every job answered is answered right, every liar caught, 99% of honest claims proven, and no honest worker dropped", async () => {
  const dropped: { worker: string; cause: string; reason: string }[] = [];
  const report = await simulateFleet({
    workers: 100,
    seconds: 900,
    jobs: 3,
    // About 150 s of this fleet's work a job (its speeds are drawn from the seed, so the same each run): longer than
    // the silent worker's deadline, six times its range's length (22 s at this size); a job's end stops every range,
    // its own too, so in shorter jobs it is never found out (bench/README.md).
    units: 17_740,
    checksPerSecond: 650,
    liarsOfEach: 1,
    leaving: 5,
    dying: 1,
    seed: 1,
    onEvent: (_, e) => {
      if (e.type === "dropped") dropped.push(e);
    },
  });
  expect(report.jobs).toHaveLength(3);
  for (const job of report.jobs) expect(job).toMatchObject({ valid: true });
  expect(report.honestDropped).toBe(0);
  // The silent worker is dropped for its silence, the liars that lie on their first range for their lie.
  expect(report.silentDropped).toBe(1);
  expect(dropped.filter((d) => d.cause === "silent")).toHaveLength(1);
  const reasons = dropped.filter((d) => d.cause !== "silent").map((d) => d.reason);
  expect(reasons).toContainEqual(expect.stringMatching(/^range \d+ reported searched with 0 share\(s\)/));
  expect(reasons).toContainEqual(expect.stringMatching(/^share \d+ does not meet its share target$/));
  expect(reasons).toContainEqual(expect.stringMatching(/^nonce \d+ does not meet the job's difficulty$/));
  expect(report.liars).toBe(LIARS.length);
  // And the two that search half of each range, by coverage: their claims weigh once every share of them is checked,
  // as they come or in the verifier's spare time; the one that reconnects before each fifth range is caught too (its
  // record waits at its address for its next connection).
  expect(reasons).toContainEqual(expect.stringMatching(/ranges came with shares too few or too uneven for a whole search$/));
  expect(report.liarsCaught).toBe(report.liars);
  // The issue's bar for claims proven, for the honest workers' claims once the spare-time checks are done.
  expect(report.honestClaimsProven / report.honestClaims).toBeGreaterThanOrEqual(0.99);
  // What it measured is all there, for bench/pool-fleet.ts to print.
  expect(report.checksAskedPerSecond).toBeGreaterThan(0);
  expect(report.claims).toBeGreaterThan(0);
  expect(report.status.bytes).toBeGreaterThan(0);
  expect(report.metrics.bytes).toBeGreaterThan(0);
}, 60_000);
