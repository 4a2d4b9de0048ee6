// What a worker that searches part of every range costs a pool's jobs. The real coordinator, real fast-mode checks
// and real RandomX for every hash a worker does, on the pool's own clock driven by this script: each simulated
// worker hashes its range for real (honestly, or every other nonce and hiding what it finds, reporting the whole
// range done), and its range takes, on the pool's clock, the hashes it did over its set rate. So job times are
// those of workers of that speed, whatever this machine's. Runs `--jobs` jobs with one honest worker alone, then the
// same jobs with the liar beside it (back under a new address each time it is caught, after 2 s), and prints each
// job's time and the ratio of the medians (need ≤ 1.5), the catches, and whether the liar was ever handed back a range
// taken from it (need never).
//   bun bench/pool-liars.ts --dataset-file PATH [--jobs 5] [--rate 100] [--difficulty 00003fff…]
import { parseArgs } from "node:util";
import { Engine } from "../src/engine/engine";
import { NoValidNonce } from "../src/engine/engine-error";
import { Coordinator, type PoolEvent } from "../src/pool/coordinator";
import { JobStore } from "../src/pool/job-store";
import { PROTOCOL_VERSION, type PoolMessage, type Work } from "../src/pool/protocol";
import { Verifier } from "../src/pool/verifier";
import { halfSearch, jobOfWork } from "../test/support/half-search";
import { ManualClock } from "../test/support/manual-clock";
import { fromHex } from "../test/support/vectors";

const { values } = parseArgs({
  options: {
    "dataset-file": { type: "string" },
    jobs: { type: "string", default: "5" },
    rate: { type: "string", default: "100" },
    // About one hash in 4096 is below it: a job is some 40 s of one worker at 100 H/s, several ranges.
    difficulty: { type: "string", default: "000" + "f".repeat(61) },
  },
});
if (values["dataset-file"] === undefined) throw new Error("--dataset-file PATH: where the 2 GiB dataset is kept (built there the first time)");
const JOBS = Number(values.jobs);
const RATE = Number(values.rate);
const DIFFICULTY = values.difficulty!;

const engine = new Engine({ mode: "fast", datasetFile: values["dataset-file"] });
const verifier = new Verifier({ mode: "fast", datasetFile: values["dataset-file"] });
await Promise.all([engine.ready, verifier.ready]);

/** One use of the engine at a time: a search and check batches cannot share it. */
let engineFree: Promise<unknown> = Promise.resolve();
function exclusive<T>(use: () => Promise<T>): Promise<T> {
  const result = engineFree.then(use);
  engineFree = result.catch(() => {});
  return result;
}

type Kind = "honest" | "liar";

interface Sim {
  kind: Kind;
  id: number;
  connection: number;
  /** The range it is on and when (pool clock) it will report it; null while idle. */
  busy: { work: Work; at: number; report: () => void } | null;
  /** The last range the pool gave it, while the pool still wants it searched. */
  latest: number | null;
  closed: boolean;
}

async function run(withLiar: boolean): Promise<{ seconds: number[]; caught: number; givenBack: number; liarRanges: number }> {
  const clock = new ManualClock();
  const coordinator = new Coordinator({ store: new JobStore(":memory:"), checker: verifier, queueSize: JOBS + 1, jobTimeoutSeconds: 0, clock });
  const done: number[] = [];
  let caught = 0;
  coordinator.subscribe((e: PoolEvent) => {
    if (e.type === "done") done.push(e.seconds);
    if (e.type === "dropped" && e.cause === "bad-work") caught++;
  });
  coordinator.start();
  const sims: Sim[] = [];
  /** Ranges each liar connection was given: none given after a catch may overlap the caught one's. */
  const liarGiven: { connection: number; work: Work }[] = [];
  const caughtConnections = new Set<number>();

  const join = (kind: Kind, connection: number) => {
    const sim: Sim = { kind, id: 0, connection, busy: null, latest: null, closed: false };
    const address = kind === "honest" ? "10.0.0.1" : `10.1.0.${connection + 1}`;
    const link = {
      remote: `${address}:4000`,
      address,
      holdOff: () => {},
      close: () => {
        sim.closed = true;
        sim.busy = null;
        if (kind === "liar") {
          caughtConnections.add(connection);
          rejoinAt.push({ at: clock.now() + 2000, connection: connection + 1 });
        }
      },
      send: (m: PoolMessage) => {
        if (m.type === "stop" && sim.latest === m.range) {
          sim.latest = null;
          sim.busy = null;
        }
        if (m.type === "work") {
          sim.latest = m.range;
          pending.push(start(sim, m));
        }
      },
    };
    sims.push(sim);
    sim.id = coordinator.join(link, { type: "hello", protocol: PROTOCOL_VERSION, token: "", name: kind, version: "bench", threads: 1, mode: "fast" });
  };
  const rejoinAt: { at: number; connection: number }[] = [];
  const pending: Promise<void>[] = [];

  /** Hashes the range for real, then books its report on the pool's clock at the hashes done over the rate. */
  const start = async (sim: Sim, work: Work): Promise<void> => {
    if (sim.kind === "liar") liarGiven.push({ connection: sim.connection, work });
    const sentAt = clock.now();
    let shares: bigint[] = [];
    let found: bigint | null = null;
    let hashed: number;
    if (sim.kind === "honest") {
      try {
        const result = await exclusive(() => engine.search(jobOfWork(work), {
          start: BigInt(work.start),
          count: BigInt(work.count),
          shareTarget: fromHex(work.shareTarget),
          onShare: (n) => shares.push(n),
        }));
        found = result.nonce;
        hashed = Number(result.hashes);
      } catch (err) {
        if (!(err instanceof NoValidNonce)) throw err;
        hashed = Number(work.count);
      }
    } else {
      ({ shares } = await exclusive(() => halfSearch(engine, work, "every-other")));
      hashed = Math.ceil(Number(work.count) / 2);
    }
    if (sim.closed || sim.latest !== work.range) return;
    sim.busy = {
      work,
      at: sentAt + (hashed / RATE) * 1000,
      report: () => {
        for (const nonce of shares) coordinator.receive(sim.id, { type: "share", range: work.range, nonce: nonce.toString() });
        coordinator.receive(sim.id, found !== null ? { type: "found", range: work.range, nonce: found.toString() } : { type: "done", range: work.range });
      },
    };
  };

  join("honest", 0);
  if (withLiar) join("liar", 0);
  for (let group = 0; group < JOBS; group++) {
    const job = { miner: fromHex("5e".repeat(32)), nonceGroup: group, challenge: fromHex("0102030405060708"), difficulty: fromHex(DIFFICULTY) };
    coordinator.request(`${"5e".repeat(32)}/${group}/0102030405060708/${DIFFICULTY}`, job);
  }
  while (done.length < JOBS) {
    await Promise.all(pending.splice(0));
    await verifier.idle();
    await Bun.sleep(1);
    if (pending.length > 0 || done.length >= JOBS) continue;
    const next = sims.filter((s) => !s.closed && s.busy !== null).sort((a, b) => a.busy!.at - b.busy!.at)[0];
    const rejoin = rejoinAt.sort((a, b) => a.at - b.at)[0];
    if (next === undefined && rejoin === undefined) throw new Error("no worker has anything to do and no job is done: the pool stalled");
    if (rejoin !== undefined && (next === undefined || rejoin.at <= next.busy!.at)) {
      rejoinAt.shift();
      clock.advance(Math.max(0, rejoin.at - clock.now()));
      join("liar", rejoin.connection);
      continue;
    }
    const { at, report } = next!.busy!;
    next!.busy = null;
    clock.advance(Math.max(0, at - clock.now()));
    report();
  }
  coordinator.close();
  const overlaps = (a: Work, b: Work) => BigInt(a.start) < BigInt(b.start) + BigInt(b.count) && BigInt(b.start) < BigInt(a.start) + BigInt(a.count);
  let givenBack = 0;
  for (const connection of caughtConnections) {
    const taken = liarGiven.filter((g) => g.connection === connection).map((g) => g.work);
    for (const later of liarGiven.filter((g) => g.connection > connection)) {
      if (taken.some((t) => t.job.nonceGroup === later.work.job.nonceGroup && overlaps(t, later.work))) givenBack++;
    }
  }
  return { seconds: done, caught, givenBack, liarRanges: liarGiven.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const alone = await run(false);
const beside = await run(true);
console.log(`jobs of expected ${Number(2n ** 256n / BigInt(`0x${DIFFICULTY}`))} hashes, workers at ${RATE} H/s each (the pool's clock)`);
console.log(`honest alone:        ${alone.seconds.map((s) => s.toFixed(1)).join(" ")} s; median ${median(alone.seconds).toFixed(1)} s`);
console.log(`honest beside liar:  ${beside.seconds.map((s) => s.toFixed(1)).join(" ")} s; median ${median(beside.seconds).toFixed(1)} s`);
const ratio = median(beside.seconds) / median(alone.seconds);
console.log(`ratio of medians: ${ratio.toFixed(2)} (need <= 1.5) ${ratio <= 1.5 ? "PASS" : "FAIL"}`);
console.log(`liar: ${beside.liarRanges} ranges, caught ${beside.caught} times; ranges handed back to it after a catch: ${beside.givenBack} (need 0) ${beside.givenBack === 0 ? "PASS" : "FAIL"}`);
await Promise.all([engine.close(), verifier.close()]);
