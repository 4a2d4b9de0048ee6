// A pool with a fleet of simulated workers: the real Coordinator (its queue, nonce space, proof audit and a real
// SQLite store) on a clock the simulation moves, N workers behind its transport seam (WorkerLink), a verifier modelled
// at the Checker seam by its capacity, and post-service-like clients queueing jobs at post-service's difficulty.
// Nothing hashes: a seeded "world" decides where each job's valid nonces lie and which nonces an honest search
// reports as shares, and the modelled verifier answers from it. What is measured is the pool's own cost and
// behaviour: the time spent inside the coordinator, checks asked of the verifier, claims proven, jobs' times, liars.
import { toHex } from "../../src/bytes/hex";
import { toWire } from "../../src/wire/status";
import { expectedHashes, postServiceDifficulty, type K2powJob } from "../../src/engine/k2pow-rule";
import { poolMetrics } from "../../src/http/pool-metrics";
import { Coordinator, type PoolEvent } from "../../src/pool/coordinator";
import { JobStore } from "../../src/pool/job-store";
import { hashesPerShare, MIN_SHARES, type Checker } from "../../src/pool/proof-audit";
import { PROTOCOL_VERSION, type PoolMessage, type Work } from "../../src/pool/protocol";
import type { WorkerLink } from "../../src/pool/worker-session";
import { ManualClock } from "../../test/support/manual-clock";
import { seededRandom } from "../../test/support/seeded-random";

export type Behaviour = "honest" | "done-at-once" | "random-shares" | "wrong-nonce" | "half" | "half-reconnecting";
export const LIARS: Behaviour[] = ["done-at-once", "random-shares", "wrong-nonce", "half", "half-reconnecting"];
/**
 * Ranges a reconnecting half-searcher reports on one connection: one, leaving before its claim is weighed, so that
 * no connection of it ever holds a thin claim of its own when it goes.
 */
const RANGES_A_CONNECTION = 1;

export interface FleetOptions {
  workers: number;
  /** Simulated seconds at most; the run ends sooner once every job is answered. */
  seconds: number;
  /** Jobs (nonce groups) post-service queues, all at once. */
  jobs: number;
  /** Space units of the identity: post-service's difficulty for it. */
  units: number;
  /** The verifier's checks per second (fast mode, two threads: about 650). */
  checksPerSecond: number;
  /** Liars of each kind. */
  liarsOfEach: number;
  /** Workers that leave for a while and come back, and that die without a word, as parts of the fleet. */
  leaving: number;
  dying: number;
  seed: number;
  /** Hears every event of the pool, with the simulated seconds since the start. */
  onEvent?: (seconds: number, event: PoolEvent) => void;
}

export interface JobOutcome {
  key: string;
  seconds: number;
  /** Expected hashes ÷ the fleet's total rate. */
  idealSeconds: number;
  /**
   * The hashes up to the job's first valid nonce ÷ the fleet's total rate: what a fleet that wasted nothing would
   * take, where the nonce lies (luck) taken out.
   */
  firstSeconds: number;
  valid: boolean;
}

export interface FleetReport {
  workers: number;
  simulatedSeconds: number;
  fleetRate: number;
  units: number;
  /** Nonces claimed searched per simulated second (whole ranges only, as of each job's last progress report). */
  searchedPerSecond: number;
  /** Milliseconds spent inside the coordinator per simulated second: its share of one core. */
  coordinatorCorePercent: number;
  /** Heap once all have joined, per worker: the pool's and the simulated worker's own objects together. */
  heapBytesPerWorker: number;
  checksAskedPerSecond: number;
  checkCapacity: number;
  /** Spare-time checks asked per second (the ranges not audited, checked whole after). */
  spareAskedPerSecond: number;
  /** Claims, and of those proven, when the last job was answered. */
  claimsInRun: { claims: number; proven: number };
  /**
   * Seconds of an idle fleet the verifier's spare time then took to check what it had not (at most MAX_DRAIN_MS);
   * null when the run ended with a job unanswered, the fleet still at work.
   */
  drainSeconds: number | null;
  /** Every worker's claims, liars' included, since the pool started, once the spare checks are done. */
  claims: number;
  claimsProven: number;
  /** The honest workers' still connected at the end (the pool keeps no per-worker count past a worker's leave). */
  honestClaims: number;
  honestClaimsProven: number;
  jobs: JobOutcome[];
  liars: number;
  liarsCaught: number;
  /** Seconds from a liar's join to its drop: median and slowest. */
  catchSeconds: { median: number; max: number } | null;
  /** Honest workers dropped, other than those that went silent on purpose. */
  honestDropped: number;
  silentDropped: number;
  status: { bytes: number; ms: number };
  metrics: { bytes: number; ms: number };
}

/** Valid nonces are drawn per block of this many nonces, as a search reaches it. */
const BLOCK = 2 ** 24;
/** The simulation's step: messages and checks due within it are delivered in order. */
const STEP_MS = 50;

/** Where each job's valid nonces lie, and which nonces an honest search has reported as shares. */
class World {
  private readonly valid = new Map<string, Map<number, number[]>>();
  /** Shares honest searches sent, by job and nonce (kept for the run: a check may come late). */
  private readonly shares = new Map<string, Set<number>>();

  constructor(private readonly seed: number) {}

  /** The first valid nonce in [start, start + count) of a job whose nonces are valid with probability p. */
  firstValid(job: string, p: number, start: number, count: number): number | null {
    for (let block = Math.floor(start / BLOCK); block * BLOCK < start + count; block++) {
      for (const nonce of this.validIn(job, p, block)) if (nonce >= start && nonce < start + count) return nonce;
    }
    return null;
  }

  isValid(job: string, p: number, nonce: number): boolean {
    return this.validIn(job, p, Math.floor(nonce / BLOCK)).includes(nonce);
  }

  addShare(job: string, nonce: number): void {
    let set = this.shares.get(job);
    if (set === undefined) this.shares.set(job, (set = new Set()));
    set.add(nonce);
  }

  isShare(job: string, nonce: number): boolean {
    return this.shares.get(job)?.has(nonce) ?? false;
  }

  private validIn(job: string, p: number, block: number): number[] {
    let blocks = this.valid.get(job);
    if (blocks === undefined) this.valid.set(job, (blocks = new Map()));
    let found = blocks.get(block);
    if (found === undefined) {
      const random = seededRandom(hashString(`${this.seed}/${job}/${block}`));
      found = [];
      for (let at = block * BLOCK + gap(random, p); at < (block + 1) * BLOCK; at += 1 + gap(random, p)) found.push(Math.floor(at));
      blocks.set(block, found);
    }
    return found;
  }
}

/** Light mode above this rate would take more threads than a box has: such a worker is in fast mode. */
const modeOf = (rate: number): "fast" | "light" => (rate > 960 ? "fast" : "light");
/** The threads its hello names: about 600 H/s a thread in fast mode, 30 in light. */
const threadsOf = (rate: number) => Math.min(1024, Math.max(1, Math.round(rate / (modeOf(rate) === "fast" ? 600 : 30))));

/** Nonces to the next event of density p: geometric, drawn as an exponential. */
function gap(random: () => number, p: number): number {
  return Math.floor(-Math.log(1 - random()) / p);
}

function hashString(text: string): number {
  return Number(Bun.hash.wyhash(text) & 0xffffffffn);
}

/** The job key and nonce a check's hash input names (src/engine/k2pow-rule.ts: nonce in the first 7 bytes). */
function decodeInput(input: Uint8Array): { job: string; nonce: number } {
  let nonce = 0;
  for (let i = 6; i >= 0; i--) nonce = nonce * 256 + input[i]!;
  return { job: toHex(input.subarray(7)), nonce };
}

/**
 * A binary heap of timed actions, earliest first, in order of scheduling among equals. Each runs at its own time:
 * `moveTo` takes the clock there first, so the pool sees a share arrive when it does, not at the end of a step (a
 * verifier modelled at step ends would never be idle between shares, and never find spare time). What a check's
 * answer sets off in the pool (a promise's follow-up) still runs after the step's actions, up to a step late.
 */
class Agenda {
  private readonly heap: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;

  constructor(private readonly moveTo: (at: number) => void) {}

  add(at: number, run: () => void): void {
    const heap = this.heap;
    heap.push({ at, seq: this.seq++, run });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Runs every action due by `now`, including ones they schedule for by then. */
  runUntil(now: number): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.at <= now) {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
          if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m]!, heap[i]!];
          i = m;
        }
      }
      this.moveTo(top.at);
      top.run();
    }
    this.moveTo(now);
  }
}

/** How long a run waits, once every job is answered, for the verifier to catch up on its spare-time checks. */
const MAX_DRAIN_MS = 3_600_000;

const before = (a: { at: number; seq: number }, b: { at: number; seq: number }) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * The verifier at the Checker seam: one queue served at `perSecond`, nonce checks ahead, and spare checks only when
 * no share check waits (one at a time, so a share arriving meanwhile waits at most one); answers from the world.
 */
class ModelChecker implements Checker {
  pending = 0;
  /** Spare checks asked and not yet answered. */
  sparePending = 0;
  /** Nonce and share checks asked, and spare ones. */
  asked = 0;
  askedSpare = 0;
  private busyUntil = 0;
  private readonly spareQueue: (() => void)[] = [];
  private spareScheduled = false;

  constructor(
    private readonly perSecond: number,
    private readonly clock: ManualClock,
    private readonly agenda: Agenda,
    private readonly verdict: (input: Uint8Array, kind: "nonce" | "share") => boolean,
    private readonly timed: (fn: () => void) => void,
  ) {}

  check(input: Uint8Array, _target: Uint8Array, kind: "nonce" | "share" | "spare"): Promise<boolean> {
    const now = this.clock.now();
    const each = 1000 / this.perSecond;
    if (kind === "spare") {
      this.askedSpare++;
      this.sparePending++;
      const ok = this.verdict(input, "share");
      return new Promise((resolve) => {
        this.spareQueue.push(() => {
          this.sparePending--;
          resolve(ok);
        });
        this.drainSpare();
      });
    }
    this.asked++;
    this.pending++;
    let at: number;
    if (kind === "nonce") at = now + each;
    else at = this.busyUntil = Math.max(now, this.busyUntil) + each;
    const ok = this.verdict(input, kind);
    return new Promise((resolve) =>
      this.agenda.add(at, () =>
        this.timed(() => {
          this.pending--;
          resolve(ok);
        }),
      ),
    );
  }

  capacity(): number {
    return this.perSecond;
  }

  /** The next spare check, once the lane is free of share checks, from `from` on (the last one's end). */
  private drainSpare(from = this.clock.now()): void {
    if (this.spareScheduled || this.spareQueue.length === 0) return;
    this.spareScheduled = true;
    const start = Math.max(from, this.busyUntil);
    this.agenda.add(start, () => {
      this.spareScheduled = false;
      // A share check came in since: it goes first.
      if (this.busyUntil > start) return this.drainSpare(this.busyUntil);
      const done = (this.busyUntil = start + 1000 / this.perSecond);
      const resolve = this.spareQueue.shift()!;
      this.agenda.add(done, () =>
        this.timed(() => {
          resolve();
          this.drainSpare(done);
        }),
      );
    });
  }
}

interface SimWorker {
  index: number;
  name: string;
  address: string;
  rate: number;
  behaviour: Behaviour;
  /** The coordinator's id for its current connection, or null while it is away. */
  id: number | null;
  /** Bumped on every range it leaves, so that events of an abandoned range do nothing. */
  epoch: number;
  joinedAt: number;
  holdOffs: number;
  silent: boolean;
  /** Ranges it was handed on its current connection. */
  ranges: number;
  /** A liar: when it joined first since it was last caught, to time how long the pool took to catch it. */
  lyingSince: number | null;
}

/** Runs one fleet to its end and reports what it measured. */
export async function simulateFleet(options: FleetOptions): Promise<FleetReport> {
  const random = seededRandom(options.seed);
  const clock = new ManualClock();
  const startedAt = clock.now();
  const world = new World(options.seed);
  let insideMs = 0;
  /** Of that, the simulation's own work the coordinator calls into (a worker's reply to work, a check's verdict). */
  let simulatedMs = 0;
  /** Runs `fn` as time spent by the pool: everything the coordinator does, including what it calls back. */
  const timed = (fn: () => void) => {
    const t = performance.now();
    fn();
    insideMs += performance.now() - t;
  };
  // Moving the clock runs the pool's own duties (its tick, heartbeats): the pool's time.
  const agenda = new Agenda((at) => {
    if (at > clock.now()) timed(() => clock.advance(at - clock.now()));
  });
  /** Runs `fn`, called from inside the coordinator, as the simulation's own time, not the pool's. */
  const own = <T>(fn: () => T): T => {
    const t = performance.now();
    try {
      return fn();
    } finally {
      simulatedMs += performance.now() - t;
    }
  };
  const difficulty = postServiceDifficulty(options.units);
  const p = 1 / expectedHashes(difficulty);
  const difficultyBig = BigInt(`0x${toHex(difficulty)}`);
  const store = new JobStore(":memory:");
  const checker = new ModelChecker(
    options.checksPerSecond,
    clock,
    agenda,
    (input, kind) =>
      own(() => {
        const { job, nonce } = decodeInput(input);
        if (kind === "nonce") return world.isValid(job, p, nonce);
        return world.isShare(job, nonce) || world.isValid(job, p, nonce);
      }),
    timed,
  );
  const coordinator = new Coordinator({ store, checker, queueSize: options.jobs + 1, jobTimeoutSeconds: 0, clock, random: seededRandom(options.seed + 1) });
  const metrics = poolMetrics(coordinator);
  const events: PoolEvent[] = [];
  /** Nonces each job had searched, as its last progress or its end said. */
  const searched = new Map<string, bigint>();
  let ended = 0;
  coordinator.subscribe((e) => {
    if (e.type !== "progress") events.push(e);
    if (e.type === "done" || e.type === "failed") ended++;
    if (e.type === "progress" || e.type === "done") searched.set(e.key, e.searched);
  });
  if (options.onEvent) coordinator.subscribe((e) => options.onEvent!((clock.now() - startedAt) / 1000, e));
  timed(() => coordinator.start());

  // The fleet: speeds spread log-uniformly from a light-mode thread (30 H/s) to a 64-core fast box (40,000 H/s).
  const sims: SimWorker[] = [];
  const behaviours: Behaviour[] = [...LIARS.flatMap((b) => Array<Behaviour>(options.liarsOfEach).fill(b))];
  while (behaviours.length < options.workers) behaviours.push("honest");
  for (let i = 0; i < options.workers; i++) {
    const rate = Math.round(30 * Math.exp(random() * Math.log(40_000 / 30)));
    sims.push({ index: i, name: `w${i}`, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, rate, behaviour: behaviours[i]!, id: null, epoch: 0, joinedAt: 0, holdOffs: 0, silent: false, ranges: 0, lyingSince: null });
  }
  const honestRate = sims.filter((s) => s.behaviour === "honest").reduce((sum, s) => sum + s.rate, 0);
  const catchTimes: number[] = [];
  let honestDropped = 0;
  let silentDropped = 0;
  const byId = new Map<number, SimWorker>();

  /** What the worker sends on its current connection (a range's events stop at its epoch's end). */
  const send = (sim: SimWorker, message: Parameters<Coordinator["receive"]>[1]) => {
    const id = sim.id;
    if (id !== null) timed(() => coordinator.receive(id, message));
  };

  const onWork = (sim: SimWorker, work: Work) => {
    const epoch = ++sim.epoch;
    const now = clock.now();
    const start = Number(work.start);
    const count = Number(work.count);
    const job = `${work.job.nonceGroup.toString(16).padStart(2, "0")}${work.job.challenge}${work.job.miner}`;
    const at = (offset: number) => now + (offset / sim.rate) * 1000;
    const later = (time: number, message: Parameters<Coordinator["receive"]>[1]) =>
      agenda.add(time, () => {
        if (sim.epoch === epoch) send(sim, message);
      });
    if (sim.silent) return;
    switch (sim.behaviour) {
      case "done-at-once":
        return later(now, { type: "done", range: work.range });
      case "wrong-nonce":
        return later(now, { type: "found", range: work.range, nonce: String(start + Math.floor(count / 2)) });
      case "random-shares": {
        const picked = new Set<number>();
        while (picked.size < MIN_SHARES) picked.add(start + Math.floor(random() * count));
        for (const nonce of picked) later(now, { type: "share", range: work.range, nonce: String(nonce) });
        return later(now, { type: "done", range: work.range });
      }
    }
    // Honest, or half: shares as a search finds them, at the range's share density.
    const q = 1 / hashesPerShare(BigInt(`0x${work.shareTarget}`), difficultyBig);
    const half = sim.behaviour === "half" || sim.behaviour === "half-reconnecting";
    const found = half ? null : world.firstValid(job, p, start, count);
    const end = found === null ? count : found - start;
    let sent = 0;
    let last = 0;
    const share = (offset: number) => {
      world.addShare(job, start + offset);
      later(at(offset), { type: "share", range: work.range, nonce: String(start + offset) });
      sent++;
      last = offset;
    };
    // A half-searcher hashes the first half, then on only as far as a done needs not to be caught at once.
    for (let offset = gap(random, q); offset < (half ? Math.floor(count / 2) : end); offset += 1 + gap(random, q)) share(offset);
    for (let offset = Math.floor(count / 2) + gap(random, q); half && sent < MIN_SHARES && offset < count; offset += 1 + gap(random, q)) share(offset);
    if (found !== null) return later(at(end), { type: "found", range: work.range, nonce: String(found) });
    const doneAt = at(half ? Math.max(last + 1, Math.floor(count / 2)) : end);
    later(doneAt, { type: "done", range: work.range });
    // It closes its connection as soon as it reported the range, and comes back a second later.
    const joinedAt = sim.joinedAt;
    if (sim.behaviour === "half-reconnecting" && ++sim.ranges >= RANGES_A_CONNECTION) {
      agenda.add(doneAt + 1, () => {
        // Gone already (caught, and back after its hold-off by itself) or on another connection: nothing to close.
        if (sim.id === null || sim.joinedAt !== joinedAt) return;
        leave(sim, "closed by the worker");
        agenda.add(clock.now() + 1000, () => join(sim));
      });
    }
  };

  const join = (sim: SimWorker) => {
    const link: WorkerLink = {
      remote: `${sim.address}:4000`,
      address: sim.address,
      send: (message: PoolMessage) => {
        if (message.type === "work") own(() => onWork(sim, message));
        else if (message.type === "stop") sim.epoch++;
      },
      close: () => {
        if (sim.id !== id) return;
        sim.id = null;
        byId.delete(id);
        if (sim.silent) silentDropped++;
        else if (sim.behaviour === "honest") honestDropped++;
        else {
          if (sim.lyingSince !== null) catchTimes.push((clock.now() - sim.lyingSince) / 1000);
          sim.lyingSince = null;
          // Back after its hold-off, as a token holder bent on it would.
          agenda.add(clock.now() + 1000 * 2 ** Math.min(sim.holdOffs, 6), () => join(sim));
        }
      },
      holdOff: () => sim.holdOffs++,
    };
    let id = 0;
    sim.epoch++;
    sim.joinedAt = clock.now();
    sim.ranges = 0;
    timed(() => {
      id = coordinator.join(link, { type: "hello", protocol: PROTOCOL_VERSION, token: "", name: sim.name, version: "simulated", threads: threadsOf(sim.rate), mode: modeOf(sim.rate) });
    });
    sim.id = id;
    byId.set(id, sim);
    if (sim.behaviour !== "honest") sim.lyingSince ??= clock.now();
  };

  const leave = (sim: SimWorker, reason: string) => {
    if (sim.id === null) return;
    const id = sim.id;
    sim.id = null;
    sim.epoch++;
    byId.delete(id);
    timed(() => coordinator.leave(id, reason));
  };

  // Joins spread over the first 10 s; some leave between 15 s and 75 s for 10-30 s; some go silent between 20 s and
  // 60 s (a run ends once every job is answered).
  for (const sim of sims) agenda.add(startedAt + random() * 10_000, () => join(sim));
  const honest = sims.filter((s) => s.behaviour === "honest");
  for (let i = 0; i < options.leaving && i < honest.length; i++) {
    const sim = honest[(i * 7919) % honest.length]!;
    const away = startedAt + 15_000 + random() * 60_000;
    agenda.add(away, () => leave(sim, "closed by the worker"));
    agenda.add(away + 10_000 + random() * 20_000, () => join(sim));
  }
  for (let i = 0; i < options.dying && i < honest.length; i++) {
    const sim = honest[(i * 104_729 + 13) % honest.length]!;
    agenda.add(startedAt + 20_000 + random() * 40_000, () => {
      sim.silent = true;
      sim.epoch++;
    });
  }

  // post-service: every job at once, polled as it would be.
  const miner = new Uint8Array(32).fill(0x5e);
  const jobs: { key: string; job: K2powJob }[] = [];
  for (let group = 0; group < options.jobs; group++) {
    const job: K2powJob = { miner, nonceGroup: group, challenge: new Uint8Array(8).fill(options.seed & 255), difficulty };
    const key = `${toHex(miner)}/${group}/${toHex(job.challenge)}/${toHex(difficulty)}`;
    jobs.push({ key, job });
    timed(() => void coordinator.request(key, job));
  }

  Bun.gc(true);
  const heapBefore = process.memoryUsage().heapUsed;
  let heapAfterJoins = heapBefore;
  const end = startedAt + options.seconds * 1000;
  const answered = () => ended >= options.jobs;
  while (clock.now() < end && !answered()) {
    agenda.runUntil(clock.now() + STEP_MS);
    // What the checks' answers set off (promise callbacks) runs before the next step, and so do the turns a job's
    // start takes to hand a large fleet its ranges (256 workers a turn).
    const t = performance.now();
    for (let turn = 0; turn <= options.workers / 256 + 1; turn++) await new Promise((resolve) => setImmediate(resolve));
    insideMs += performance.now() - t;
    if (clock.now() - startedAt === 12_000) {
      Bun.gc(true);
      heapAfterJoins = process.memoryUsage().heapUsed;
    }
  }
  const simulatedSeconds = (clock.now() - startedAt) / 1000;
  const coordinatorCorePercent = ((insideMs - simulatedMs) / (simulatedSeconds * 1000)) * 100;
  const checksAskedPerSecond = checker.asked / simulatedSeconds;
  const spareAskedPerSecond = checker.askedSpare / simulatedSeconds;
  const claimsInRun = coordinator.status().totals;

  const statusStarted = performance.now();
  const status = coordinator.status();
  const statusText = JSON.stringify(toWire(status));
  const statusMs = performance.now() - statusStarted;
  const metricsStarted = performance.now();
  metrics.beforeScrape();
  const metricsText = await metrics.registry.metrics();
  const metricsMs = performance.now() - metricsStarted;

  const outcomes: JobOutcome[] = [];
  for (const e of events) {
    if (e.type !== "done") continue;
    const { job } = jobs.find((j) => j.key === e.key)!;
    const input = new Uint8Array(48);
    input.set(job.miner, 16);
    input.set(job.challenge, 8);
    input[7] = job.nonceGroup;
    outcomes.push({
      key: e.key,
      seconds: e.seconds,
      idealSeconds: expectedHashes(difficulty) / honestRate,
      firstSeconds: (world.firstValid(toHex(input.subarray(7)), p, 0, Number.MAX_SAFE_INTEGER)! + 1) / honestRate,
      valid: world.isValid(toHex(input.subarray(7)), p, Number(e.nonce)),
    });
  }
  // The fleet idle once every job is answered: the verifier's spare time catches up on the ranges it did not audit.
  // The pool keeps spare checks on the verifier while any wait (status() says so too, but costs a fleet's walk).
  const drains = answered();
  const drainStarted = clock.now();
  while (drains && (checker.pending > 0 || checker.sparePending > 0) && clock.now() - drainStarted < MAX_DRAIN_MS) {
    agenda.runUntil(clock.now() + STEP_MS);
    for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => setImmediate(resolve));
  }
  const drainSeconds = drains ? (clock.now() - drainStarted) / 1000 : null;
  const { claims, claimsProven } = coordinator.status().totals;
  const honestNames = new Set(sims.filter((s) => s.behaviour === "honest").map((s) => s.name));
  const connected = coordinator.workerPage({ search: "", offset: 0, limit: Number.MAX_SAFE_INTEGER }).workers;
  const honestConnected = connected.filter((w) => honestNames.has(w.name));
  const honestClaims = honestConnected.reduce((n, w) => n + w.claims.ranges, 0);
  const honestClaimsProven = honestConnected.reduce((n, w) => n + w.claims.proven, 0);
  catchTimes.sort((a, b) => a - b);
  const report: FleetReport = {
    workers: options.workers,
    simulatedSeconds,
    fleetRate: honestRate,
    units: options.units,
    searchedPerSecond: Number([...searched.values()].reduce((a, b) => a + b, 0n)) / simulatedSeconds,
    coordinatorCorePercent,
    heapBytesPerWorker: Math.max(0, heapAfterJoins - heapBefore) / options.workers,
    checksAskedPerSecond,
    spareAskedPerSecond,
    checkCapacity: options.checksPerSecond,
    claimsInRun: { claims: claimsInRun.claims, proven: claimsInRun.claimsProven },
    drainSeconds,
    claims,
    claimsProven,
    honestClaims,
    honestClaimsProven,
    jobs: outcomes,
    liars: LIARS.length * options.liarsOfEach,
    liarsCaught: countCaught(sims, events),
    catchSeconds: catchTimes.length === 0 ? null : { median: catchTimes[catchTimes.length >> 1]!, max: catchTimes.at(-1)! },
    honestDropped,
    silentDropped,
    status: { bytes: statusText.length, ms: statusMs },
    metrics: { bytes: metricsText.length, ms: metricsMs },
  };
  coordinator.close();
  return report;
}

/** Liar workers (by name) dropped for bad work or a protocol breach at least once. */
function countCaught(sims: SimWorker[], events: PoolEvent[]): number {
  const liars = new Set(sims.filter((s) => s.behaviour !== "honest").map((s) => s.name));
  const caught = new Set<string>();
  for (const e of events) if (e.type === "dropped" && e.cause !== "silent" && liars.has(e.worker.split("#")[0]!)) caught.add(e.worker.split("#")[0]!);
  return caught.size;
}
