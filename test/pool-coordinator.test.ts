// The pool's scheduling in-process, where timing can be made exact: a real SQLite store, a real light-mode engine
// checking what workers claim, and workers played by the test through the coordinator's link interface.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../src/engine/engine";
import { hashInput, meetsDifficulty, type K2powJob } from "../src/engine/k2pow-rule";
import { Coordinator, type CoordinatorOptions, type PoolEvent } from "../src/pool/coordinator";
import { JobStore } from "../src/pool/job-store";
import { CLOSE, PROTOCOL_VERSION, type PoolMessage } from "../src/pool/protocol";
import { fromHex } from "./support/vectors";

const TOKEN = "coordinator-test-token";
const UNREACHABLE = "00".repeat(31) + "01";
const EASY = "0f" + "ff".repeat(31);
const miner = "3c".repeat(32);
const challenge = "a1a2a3a4a5a6a7a8";
const keyOf = (group: number, difficulty: string) => `${miner}/${group}/${challenge}/${difficulty}`;
const jobOf = (group: number, difficulty: string): K2powJob => ({
  miner: fromHex(miner),
  nonceGroup: group,
  challenge: fromHex(challenge),
  difficulty: fromHex(difficulty),
});

let engine: Engine;
let dir: string;
const open: Coordinator[] = [];
beforeAll(async () => {
  engine = new Engine({ mode: "light", threads: 1 });
  await engine.ready;
  dir = mkdtempSync(join(tmpdir(), "k2pow-coordinator-"));
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

function coordinator(options: Partial<CoordinatorOptions> = {}) {
  const events: PoolEvent[] = [];
  const c = new Coordinator({
    store: new JobStore(":memory:"),
    verifier: engine,
    token: TOKEN,
    queueSize: 10,
    jobTimeoutSeconds: 0,
    onEvent: (e) => events.push(e),
    ...options,
  });
  open.push(c);
  return { c, events };
}

/** A worker played by the test: what the pool sent it, and how it was closed. */
function fakeWorker(c: Coordinator, name: string, mode: "light" | "fast" = "light") {
  const sent: PoolMessage[] = [];
  const link = { remote: "test", send: (m: PoolMessage) => sent.push(m), close: (code: number, reason: string) => (worker.closed = { code, reason }) };
  const worker = {
    sent,
    closed: null as { code: number; reason: string } | null,
    id: 0,
    works: () => sent.filter((m): m is Extract<PoolMessage, { type: "work" }> => m.type === "work"),
    lastWork: () => worker.works().at(-1)!,
  };
  const joined = c.join(link, { type: "hello", protocol: PROTOCOL_VERSION, token: TOKEN, name, version: "test", threads: 1, mode });
  if (!joined.ok) throw new Error(joined.reason);
  worker.id = joined.id;
  return worker;
}

test("the head job's nonce space is handed out in disjoint, contiguous ranges, one per worker", () => {
  const { c } = coordinator();
  const a = fakeWorker(c, "a");
  const b = fakeWorker(c, "b");
  expect(c.request(keyOf(1, UNREACHABLE), jobOf(1, UNREACHABLE))).toEqual({ kind: "accepted" });
  const [wa, wb] = [a.lastWork(), b.lastWork()];
  expect(wa.job).toEqual({ miner, nonceGroup: 1, challenge, difficulty: UNREACHABLE });
  expect(BigInt(wa.start)).toBe(0n);
  expect(BigInt(wb.start)).toBe(BigInt(wa.count));
  c.receive(a.id, { type: "done", range: wa.range });
  expect(BigInt(a.lastWork().start)).toBe(BigInt(wb.start) + BigInt(wb.count));
});

test("a worker that leaves has its range handed to the next idle worker, lowest first", () => {
  const { c } = coordinator();
  const a = fakeWorker(c, "a");
  const b = fakeWorker(c, "b");
  c.request(keyOf(2, UNREACHABLE), jobOf(2, UNREACHABLE));
  const lost = a.lastWork();
  c.leave(a.id, "connection closed");
  expect(b.works()).toHaveLength(1);
  c.receive(b.id, { type: "done", range: b.lastWork().range });
  expect(b.lastWork().start).toBe(lost.start);
  expect(b.lastWork().count).toBe(lost.count);
});

test("a valid nonce is checked, finishes the job, stops the other workers and moves all to the next job", () => {
  const { c, events } = coordinator();
  const a = fakeWorker(c, "a");
  const b = fakeWorker(c, "b");
  c.request(keyOf(3, EASY), jobOf(3, EASY));
  c.request(keyOf(4, UNREACHABLE), jobOf(4, UNREACHABLE));
  const work = a.lastWork();
  let nonce = BigInt(work.start);
  while (!meetsDifficulty(engine.hash(hashInput(jobOf(3, EASY), nonce)), fromHex(EASY))) nonce++;
  expect(nonce < BigInt(work.start) + BigInt(work.count)).toBe(true); // one in 16; the first range holds dozens
  c.receive(a.id, { type: "found", range: work.range, nonce: nonce.toString() });
  expect(c.request(keyOf(3, EASY), jobOf(3, EASY))).toEqual({ kind: "done", nonce });
  expect(b.sent).toContainEqual({ type: "stop", range: b.works()[0]!.range });
  expect(a.lastWork().job.nonceGroup).toBe(4);
  expect(b.lastWork().job.nonceGroup).toBe(4);
  expect(events).toContainEqual(expect.objectContaining({ type: "done", key: keyOf(3, EASY), nonce, worker: `a#${a.id}` }));
});

/** Share targets for one share in about 3 hashes, so that a range surely holds some. */
const FREQUENT_SHARES = { tuning: { shareSeconds: 0.2, checksPerSecond: 100 } };

test("a share that does not meet its target drops the worker; checked shares count toward its rate", () => {
  const { c } = coordinator(FREQUENT_SHARES);
  const a = fakeWorker(c, "a");
  c.request(keyOf(5, UNREACHABLE), jobOf(5, UNREACHABLE));
  const work = a.lastWork();
  const target = fromHex(work.shareTarget);
  const below = (n: bigint) => meetsDifficulty(engine.hash(hashInput(jobOf(5, UNREACHABLE), n)), target);
  let good = BigInt(work.start);
  while (!below(good)) good++;
  c.receive(a.id, { type: "share", range: work.range, nonce: good.toString() });
  c.receive(a.id, { type: "done", range: work.range });
  expect(a.closed).toBeNull();
  const status = c.status().workers[0]!;
  expect(status.shares).toEqual({ accepted: 1, checked: 1, inWindow: 1 });
  let bad = BigInt(a.lastWork().start);
  while (below(bad)) bad++;
  c.receive(a.id, { type: "share", range: a.lastWork().range, nonce: bad.toString() });
  expect(a.closed).toEqual({ code: CLOSE.invalidWork, reason: `share ${bad} does not meet its share target` });
  expect(c.status().workers).toHaveLength(0);
});

test("a share outside its range, or sent twice, drops the worker", () => {
  const { c } = coordinator(FREQUENT_SHARES);
  const a = fakeWorker(c, "a");
  const b = fakeWorker(c, "b");
  c.request(keyOf(6, UNREACHABLE), jobOf(6, UNREACHABLE));
  const outside = BigInt(a.lastWork().start) + BigInt(a.lastWork().count);
  c.receive(a.id, { type: "share", range: a.lastWork().range, nonce: outside.toString() });
  expect(a.closed?.code).toBe(CLOSE.invalidWork);
  const work = b.lastWork();
  let share = BigInt(work.start);
  while (!meetsDifficulty(engine.hash(hashInput(jobOf(6, UNREACHABLE), share)), fromHex(work.shareTarget))) share++;
  c.receive(b.id, { type: "share", range: work.range, nonce: share.toString() });
  expect(b.closed).toBeNull();
  c.receive(b.id, { type: "share", range: work.range, nonce: share.toString() });
  expect(b.closed).toEqual({ code: CLOSE.invalidWork, reason: `share ${share} sent twice` });
});

test("a worker silent past its range's deadline is dropped and its range handed on", async () => {
  const { c, events } = coordinator({ tuning: { minSilentSeconds: 0.5, silentFactor: 0 } });
  const a = fakeWorker(c, "a");
  c.request(keyOf(7, UNREACHABLE), jobOf(7, UNREACHABLE));
  const lost = a.lastWork();
  await Bun.sleep(2100);
  expect(a.closed?.code).toBe(CLOSE.silent);
  expect(events).toContainEqual(expect.objectContaining({ type: "dropped", reason: expect.stringMatching(/^range \d+ not finished in \d+ s$/) }));
  const b = fakeWorker(c, "b");
  expect(b.lastWork().start).toBe(lost.start);
});

test("the queue is first in, first out; a wrong token or protocol is refused", () => {
  const { c } = coordinator();
  for (const group of [10, 11, 12]) c.request(keyOf(group, UNREACHABLE), jobOf(group, UNREACHABLE));
  expect(c.status().queue.map((q) => [q.key.split("/")[1], q.state])).toEqual([
    ["10", "running"],
    ["11", "queued"],
    ["12", "queued"],
  ]);
  const link = { remote: "test", send: () => {}, close: () => {} };
  const hello = { type: "hello" as const, protocol: PROTOCOL_VERSION, token: TOKEN, name: "x", version: "t", threads: 1, mode: "light" as const };
  expect(c.join(link, { ...hello, token: TOKEN + "x" })).toEqual({ ok: false, code: CLOSE.refused, reason: "wrong worker token" });
  expect(c.join(link, { ...hello, protocol: 2 })).toMatchObject({ ok: false, code: CLOSE.refused });
});

test("a restarted pool resumes the head job from the lowest nonce not known to be searched", () => {
  const path = join(dir, "resume.db");
  const first = coordinator({ store: new JobStore(path) });
  const a = fakeWorker(first.c, "a");
  const b = fakeWorker(first.c, "b");
  first.c.request(keyOf(20, UNREACHABLE), jobOf(20, UNREACHABLE));
  const wa = a.lastWork();
  const wb = b.lastWork();
  // b finishes the second range, a is still on the first: only nonces below a's start are known to be searched.
  first.c.receive(b.id, { type: "done", range: wb.range });
  first.c.receive(a.id, { type: "done", range: wa.range });
  const resumeAt = BigInt(b.lastWork().start);
  first.c.close();

  const second = coordinator({ store: new JobStore(path) });
  expect(second.events).toContainEqual(expect.objectContaining({ type: "started", key: keyOf(20, UNREACHABLE), resumeFrom: resumeAt }));
  const c = fakeWorker(second.c, "c");
  expect(BigInt(c.lastWork().start)).toBe(resumeAt);
});

test("a worker that reports ranges searched without the shares they must hold is dropped; the job goes on", () => {
  const { c } = coordinator(FREQUENT_SHARES);
  const liar = fakeWorker(c, "liar");
  c.request(keyOf(30, UNREACHABLE), jobOf(30, UNREACHABLE));
  const sizes: bigint[] = [];
  for (let i = 0; i < 10 && liar.closed === null; i++) {
    sizes.push(BigInt(liar.lastWork().count));
    c.receive(liar.id, { type: "done", range: liar.lastWork().range });
  }
  expect(liar.closed).toEqual({
    code: CLOSE.invalidWork,
    reason: `range ${liar.lastWork().range} reported searched without one share (about 12+ expected)`,
  });
  // Answering at once grew its ranges at most twofold each time (from 1 s of work to 5 s at double the rate).
  for (let i = 1; i < sizes.length; i++) expect(sizes[i]! <= sizes[i - 1]! * 10n).toBe(true);
  expect(c.request(keyOf(30, UNREACHABLE), jobOf(30, UNREACHABLE))).toEqual({ kind: "accepted" });
  const honest = fakeWorker(c, "honest");
  expect(honest.lastWork().start).toBe(liar.lastWork().start);
});
