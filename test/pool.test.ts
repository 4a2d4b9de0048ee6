// The pool end to end on loopback, with real processes: `k2pow pool`, `k2pow join` workers in light mode, and
// post-service's polling (k2pow probe, or the same client in-process). Every nonce is checked with one hash on an
// engine whose hashes match the reference vectors (test/engine-light.test.ts).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../src/engine/engine";
import { hashInput, meetsDifficulty, type K2powJob } from "../src/engine/k2pow-rule";
import { CLOSE, POOL_PATH, PROTOCOL_VERSION } from "../src/pool/protocol";
import { startK2pow } from "./support/k2pow-process";
import { until } from "./support/until";
import { run } from "./support/run";
import { EASY, fromHex } from "./support/vectors";

const main = join(import.meta.dir, "..", "src", "main.ts");
const TOKEN = "pool-test-token-0123456789abcdef";
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_WORKER_TOKEN: TOKEN };
const miner = "5a".repeat(32);
const challenge = "0102030405060708";
/** About 2^31 expected hashes: under the bound on work (a job past it is refused), never found within a test. */
const HARD = "00000001" + "ff".repeat(28);

let checker: Engine;
let dir: string;
beforeAll(async () => {
  checker = new Engine({ mode: "light", threads: 1 });
  await checker.ready;
  dir = mkdtempSync(join(tmpdir(), "k2pow-pool-"));
});
afterAll(async () => {
  await checker?.close();
  rmSync(dir, { recursive: true, force: true });
});

const jobOf = (group: number, difficulty: string): K2powJob => ({
  miner: fromHex(miner),
  nonceGroup: group,
  challenge: fromHex(challenge),
  difficulty: fromHex(difficulty),
});
const valid = (group: number, difficulty: string, nonce: bigint) =>
  meetsDifficulty(checker.hash(hashInput(jobOf(group, difficulty), nonce)), fromHex(difficulty));
const jobPath = (group: number, difficulty: string) => `/job/${miner}/${group}/${challenge}/${difficulty}`;

function startPool(...args: string[]) {
  return startK2pow([process.execPath, main, "pool", "-b", "127.0.0.1:0", "--check-mode", "light", ...args], { env });
}

function startJoin(base: string, name: string, ...args: string[]) {
  return startK2pow(
    [process.execPath, main, "join", base, "--randomx-mode", "light", "--cores", "1", "--name", name, "--log-level", "debug", ...args],
    { env, ready: /connected to the pool/ },
  );
}

async function poolStatus(base: string) {
  return (await (await fetch(`${base}/status`)).json()) as {
    workers: { name: string; hashRate: number | null; shares: { accepted: number }; range: { start: string; count: string } | null }[];
    job: { key: string } | null;
    queue: { key: string; state: string }[];
    totals: { workers: number; queued: number; done: number; failed: number };
  };
}

/** GETs a job until it is no longer 201. */
async function answerOf(base: string, path: string, ms = 90_000) {
  return until(`an answer to ${path}`, async () => {
    const r = await fetch(base + path);
    const body = await r.text();
    return r.status === 201 ? null : { status: r.status, body };
  }, ms);
}

/** A raw WebSocket to the pool: the messages it gets and how it was closed. */
function rawWorker(base: string) {
  const ws = new WebSocket(base.replace("http", "ws") + POOL_PATH);
  const messages: { type: string; [k: string]: unknown }[] = [];
  const opened = new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("could not connect"));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
  });
  ws.onmessage = (e) => messages.push(JSON.parse(e.data as string));
  const hello = (token = TOKEN) =>
    ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token, name: "raw", version: "test", threads: 1, mode: "light" }));
  return { ws, messages, opened, closed, hello };
}

test("three workers: post-service's polling of 6 groups, 3 at a time, gets a valid nonce for each; every worker mines", async () => {
  const pool = await startPool("--db", join(dir, "six.db"));
  const workers = await Promise.all(["a", "b", "c"].map((n) => startJoin(pool.base, n)));
  const { stdout, code } = await run(
    [process.execPath, main, "probe", pool.base, "--groups", "6", "--parallelism", "3", "--backoff", "0.2", "--miner", miner, "--challenge", challenge, "--difficulty", EASY],
    { env },
  );
  console.log(stdout.trim());
  expect(code).toBe(0);
  expect(stdout).toMatch(/^OK: every group got a valid nonce/m);
  // post-service fails a proof on anything but 200, 201 and 429.
  const answers = stdout.match(/^answers: (.*)$/m)![1]!;
  for (const [, status] of answers.matchAll(/(\d{3}) ×\d+/g)) expect(["200", "201", "429"]).toContain(status!);
  for (let group = 0; group < 6; group++) {
    const nonce = BigInt(stdout.match(new RegExp(`^group\\s+${group}: .* nonce (\\d+), valid$`, "m"))![1]!);
    expect(valid(group, EASY, nonce)).toBe(true);
  }
  // All three got ranges of the head job.
  for (const w of workers) await w.logged(/DEBUG range range=\d+ start=\d+ count=\d+/);
  const status = await poolStatus(pool.base);
  expect(status.totals).toMatchObject({ workers: 3, queued: 0, done: 6, failed: 0 });
}, 180_000);

test("a worker killed mid-job: the pool notices, and the range it held is searched by another worker", async () => {
  const pool = await startPool("--db", ":memory:");
  const a = await startJoin(pool.base, "a");
  // Stopped, it holds its range without searching it: what the pool has when it notices is a range not searched.
  a.proc.kill("SIGSTOP");
  const path = jobPath(7, EASY);
  expect((await fetch(pool.base + path)).status).toBe(201);
  const held = await until("a to hold a range", async () => (await poolStatus(pool.base)).workers[0]?.range ?? null);
  a.proc.kill("SIGKILL");
  await pool.logged(/worker left worker=a#/);
  await startJoin(pool.base, "b");
  const answer = await answerOf(pool.base, path);
  expect(answer.status).toBe(200);
  expect(valid(7, EASY, BigInt(answer.body))).toBe(true);
  await pool.logged(new RegExp(`job done .* nonce=${answer.body} by=b#`));
  // About one nonce in 16 is valid: the range a held (hundreds of nonces) holds one, found there by b.
  expect(BigInt(answer.body)).toBeLessThan(BigInt(held.start) + BigInt(held.count));
}, 180_000);

test("a restarted pool answers finished jobs at once and finishes the queued ones once clients poll again", async () => {
  const db = join(dir, "restart.db");
  const first = await startPool("--db", db);
  const worker = await startJoin(first.base, "w");
  const done = await answerOf(first.base, jobPath(1, EASY));
  expect(done.status).toBe(200);
  worker.proc.kill("SIGKILL");
  await first.logged(/worker left/);
  for (const group of [2, 3]) expect((await fetch(first.base + jobPath(group, EASY))).status).toBe(201);
  first.proc.kill("SIGKILL");
  await first.exited;

  const second = await startPool("--db", db);
  expect(second.log()).toMatch(/resuming 2 queued job\(s\)/);
  const again = await fetch(second.base + jobPath(1, EASY));
  expect(again.status).toBe(200);
  expect(await again.text()).toBe(done.body);
  expect((await fetch(second.base + jobPath(2, EASY))).status).toBe(201);
  await startJoin(second.base, "w2");
  for (const group of [2, 3]) {
    const answer = await answerOf(second.base, jobPath(group, EASY));
    expect(answer.status).toBe(200);
    expect(valid(group, EASY, BigInt(answer.body))).toBe(true);
  }
}, 180_000);

for (const how of ["deleted", "replaced"] as const) {
  test(`the database file ${how} under a running pool: the log and /status say so within seconds, a new file holds every answer, and a restart answers them at once`, async () => {
    const db = join(dir, `lost-${how}.db`);
    const pool = await startPool("--db", db);
    const worker = await startJoin(pool.base, "w");
    const before = await answerOf(pool.base, jobPath(10, EASY));
    expect(before.status).toBe(200);
    // Mid-job: the next job runs when the file goes, its range held by the worker, stopped until the loss is seen.
    worker.proc.kill("SIGSTOP");
    expect((await fetch(pool.base + jobPath(11, EASY))).status).toBe(201);
    await until("the worker to hold a range of the next job", async () => (await poolStatus(pool.base)).workers[0]?.range ?? null);
    if (how === "deleted") {
      for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
    } else {
      const other = join(dir, "someone-elses.db");
      const foreign = new Database(other);
      foreign.run("CREATE TABLE notes (text TEXT)");
      foreign.run("INSERT INTO notes VALUES ('not the pool''s')");
      foreign.close();
      renameSync(other, db);
    }
    const reason = how === "deleted" ? `the database file ${db} was deleted` : `the database file ${db} was replaced by another file`;
    await until(`the pool to log that ${reason}`, async () => pool.log().includes(reason), 10_000);
    const { database } = (await (await fetch(`${pool.base}/status`)).json()) as { database: { ok: boolean; lost: { reason: string; restored: number } | null } };
    expect(database).toMatchObject({ ok: true, lost: { reason, restored: 1 } });
    worker.proc.kill("SIGCONT");
    const during = await answerOf(pool.base, jobPath(11, EASY));
    expect(during.status).toBe(200);
    worker.proc.kill("SIGKILL");
    pool.proc.kill("SIGKILL");
    await pool.exited;

    const second = await startPool("--db", db);
    for (const [group, answer] of [[10, before], [11, during]] as const) {
      const again = await fetch(second.base + jobPath(group, EASY));
      expect(again.status).toBe(200);
      expect(await again.text()).toBe(answer.body);
    }
    if (how === "replaced") {
      // The file put in its place is kept beside, as it was.
      const aside = readdirSync(dir).filter((f) => f.startsWith("lost-replaced.db.replaced-"));
      expect(aside).toHaveLength(1);
      const kept = new Database(join(dir, aside[0]!), { readonly: true });
      expect(kept.query("SELECT text FROM notes").all()).toEqual([{ text: "not the pool's" }]);
      kept.close();
    }
  }, 180_000);
}

test("a pool restarted at its default check mode answers a queued job before its fast dataset is ready", async () => {
  const db = join(dir, "warm-up.db");
  const first = await startPool("--db", db);
  // About 16 hashes: what is timed is the pool's readiness, beside a dataset build that takes both cores.
  const EASY = "0f" + "ff".repeat(31);
  expect((await fetch(first.base + jobPath(4, EASY))).status).toBe(201);
  first.proc.kill("SIGKILL");
  await first.exited;

  // auto is fast here, and with no dataset file the dataset takes ~25 s to build: checks start in light mode meanwhile.
  const second = await startK2pow([process.execPath, main, "pool", "-b", "127.0.0.1:0", "--db", db, "--check-mode", "auto", "--dataset-file", "none"], { env });
  await startJoin(second.base, "w");
  const answer = await answerOf(second.base, jobPath(4, EASY));
  expect(answer.status).toBe(200);
  expect(valid(4, EASY, BigInt(answer.body))).toBe(true);
  // Answered on light-mode checks: fast mode was still on its way.
  expect(second.log()).toMatch(/checks ready: light mode/);
  expect(second.log()).not.toMatch(/checks: now in fast mode/);
  expect(second.log()).not.toMatch(/dataset built/);
  // That checks then move to fast mode is test/verifier.test.ts's to show.
}, 180_000);

test("a worker reconnects with backoff when the pool goes away, keeping its engine", async () => {
  const db = join(dir, "reconnect.db");
  const first = await startPool("--db", db);
  const port = new URL(first.base).port;
  const worker = await startJoin(first.base, "w");
  first.proc.kill("SIGKILL");
  await worker.logged(/WARN  lost the pool; reconnecting/);
  const second = await startK2pow([process.execPath, main, "pool", "-b", `127.0.0.1:${port}`, "--db", db, "--check-mode", "light"], { env });
  await until("the worker to come back", async () => (worker.log().match(/connected to the pool/g) ?? []).length === 2, 30_000);
  expect(worker.log().match(/light mode ready/g)).toHaveLength(1);
  const answer = await answerOf(second.base, jobPath(5, EASY));
  expect(answer.status).toBe(200);
  expect(valid(5, EASY, BigInt(answer.body))).toBe(true);
}, 120_000);

test("a worker that claims a wrong nonce is dropped, and the job's answer is still right", async () => {
  const pool = await startPool("--db", ":memory:");
  const liar = rawWorker(pool.base);
  await liar.opened;
  liar.hello();
  await until("welcome", async () => liar.messages.some((m) => m.type === "welcome"));
  const path = jobPath(9, EASY);
  expect((await fetch(pool.base + path)).status).toBe(201);
  const work = await until("work", async () => liar.messages.find((m) => m.type === "work"));
  let wrong = BigInt(String(work.start));
  while (valid(9, EASY, wrong)) wrong++;
  liar.ws.send(JSON.stringify({ type: "found", range: work.range, nonce: wrong.toString() }));
  const closed = await liar.closed;
  expect(closed.code).toBe(CLOSE.invalidWork);
  expect(closed.reason).toBe(`nonce ${wrong} does not meet the job's difficulty`);
  await pool.logged(/WARN  worker dropped worker=raw#1 .*does not meet the job's difficulty/);
  expect((await fetch(pool.base + path)).status).toBe(201);
  await startJoin(pool.base, "honest");
  const answer = await answerOf(pool.base, path);
  expect(answer.status).toBe(200);
  expect(BigInt(answer.body)).not.toBe(wrong);
  expect(valid(9, EASY, BigInt(answer.body))).toBe(true);
}, 120_000);

test("a full queue answers 429 to a new job only; a job past its timeout is a 500 that says timed out", async () => {
  const pool = await startPool("--db", ":memory:", "--queue-size", "2", "--job-timeout", "1");
  const first = jobPath(1, HARD);
  const second = jobPath(2, HARD);
  const third = jobPath(3, HARD);
  expect((await fetch(pool.base + first)).status).toBe(201);
  expect((await fetch(pool.base + second)).status).toBe(201);
  const refused = await fetch(pool.base + third);
  expect(refused.status).toBe(429);
  expect(await refused.text()).toBe("the pool's queue is full (2 jobs); retry later\n");
  expect((await fetch(pool.base + first)).status).toBe(201);
  const timedOut = await answerOf(pool.base, first, 10_000);
  expect(timedOut.status).toBe(500);
  expect(timedOut.body).toMatch(/^timed out after \d+ s/);
  // The failure is remembered, and the freed place in the queue takes a new job.
  expect((await fetch(pool.base + first)).status).toBe(500);
  expect((await fetch(pool.base + third)).status).toBe(201);
}, 60_000);

test("a wrong token is refused: k2pow join exits saying so, and a raw connection is closed with the reason", async () => {
  const pool = await startPool("--db", ":memory:");
  const { code, stderr } = await run(
    [process.execPath, main, "join", pool.base, "--randomx-mode", "light", "--cores", "1", "--worker-token", "not-the-pool-token-at-all"],
    { env: { PATH: env.PATH } },
  );
  expect(code).toBe(3);
  expect(stderr).toMatch(/ERROR the pool refused this worker: wrong worker token/);
  // That address is held off for a second now; a guess within it is not even checked.
  const early = rawWorker(pool.base);
  await early.opened;
  early.hello("guess-guess-guess-guess");
  expect(await early.closed).toEqual({ code: CLOSE.heldOff, reason: expect.stringMatching(/^too many wrong tokens from this address; wait \d+ s$/) });
  // Once the hold-off lapses, a guess is checked again: refused for what it is.
  const checked = await until("the hold-off to lapse", async () => {
    const raw = rawWorker(pool.base);
    await raw.opened;
    raw.hello("guess-guess-guess-guess");
    const closed = await raw.closed;
    return closed.code === CLOSE.refused && closed;
  });
  expect(checked.reason).toBe("wrong worker token");
  expect((await poolStatus(pool.base)).totals.workers).toBe(0);
}, 60_000);

test("malformed and oversized messages close the connection with a reason; the pool goes on", async () => {
  const pool = await startPool("--db", ":memory:");
  const cases: [string, number, RegExp][] = [
    ["not json", CLOSE.malformed, /^message is not JSON$/],
    [JSON.stringify({ type: "done", range: 1 }), CLOSE.malformed, /^the first message must be hello$/],
    [JSON.stringify({ type: "hello", protocol: 1 }), CLOSE.malformed, /^bad 'hello' message: /],
    ["x".repeat(5000), CLOSE.tooBig, /^message of 5000 bytes; the limit is 4096$/],
  ];
  for (const [message, code, reason] of cases) {
    const raw = rawWorker(pool.base);
    await raw.opened;
    raw.ws.send(message);
    const closed = await raw.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason).toMatch(reason);
  }
  // Four broken connections in a row, none with the token: they hold nobody off, so an honest worker at the same
  // address (behind the same NAT) joins at once.
  const honest = rawWorker(pool.base);
  await honest.opened;
  honest.hello();
  await until("the honest worker's welcome", async () => honest.messages.some((m) => m.type === "welcome"));
  // Once admitted, a broken message is its own: that address is held off its next hello.
  honest.ws.send("not json");
  expect(await honest.closed).toEqual({ code: CLOSE.malformed, reason: "message is not JSON" });
  const raw = rawWorker(pool.base);
  await raw.opened;
  raw.hello();
  expect(await raw.closed).toEqual({
    code: CLOSE.heldOff,
    reason: expect.stringMatching(/^a worker from this address sent false work or broken messages; wait 1 s$/),
  });
  expect((await fetch(`${pool.base}/`)).status).toBe(200);
  expect((await fetch(pool.base + POOL_PATH)).status).toBe(426);
}, 60_000);

test("DELETE cancels a queued job and tells its workers to stop; a later GET queues it anew", async () => {
  const pool = await startPool("--db", ":memory:");
  const raw = rawWorker(pool.base);
  await raw.opened;
  raw.hello();
  const path = jobPath(4, HARD);
  expect((await fetch(pool.base + path)).status).toBe(201);
  const work = await until("work", async () => raw.messages.find((m) => m.type === "work"));
  const cancelled = await fetch(pool.base + path, { method: "DELETE" });
  expect(cancelled.status).toBe(200);
  await until("stop", async () => raw.messages.some((m) => m.type === "stop" && m.range === work.range));
  expect((await poolStatus(pool.base)).totals.queued).toBe(0);
  expect((await fetch(pool.base + path, { method: "DELETE" })).status).toBe(404);
  expect((await fetch(pool.base + path)).status).toBe(201);
  raw.ws.close();
}, 60_000);
