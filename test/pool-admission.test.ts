// Admission to the pool: the rules on a driven clock (caps on connections without hello, the token, penalties that
// double and are forgotten, a bounded table, who may cancel), then against a real pool process on loopback: a
// crowd of silent connections from one address does not keep an honest worker out, wrong tokens are slowed, the
// token never reaches the log, and DELETE works from loopback without --auth.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { Engine } from "../src/engine/engine";
import { hashInput, meetsDifficulty } from "../src/engine/k2pow-rule";
import { mayCancel } from "../src/http/access";
import { addressKey, isLoopback } from "../src/net/address-scope";
import { publicAddressesOf } from "../src/join/clear-text-rule";
import { Admission } from "../src/pool/admission";
import { CLOSE, POOL_PATH, PROTOCOL_VERSION } from "../src/pool/protocol";
import { startK2pow } from "./support/k2pow-process";
import { until } from "./support/until";
import { rawSocket } from "./support/raw-ws";
import { requestFrom } from "./support/from-address";
import { EASY, fromHex } from "./support/vectors";

const TOKEN = "admission-test-token-0123456789";
const hello = (token = TOKEN, protocol = PROTOCOL_VERSION) => ({ token, protocol });

function driven(limits: ConstructorParameters<typeof Admission>[2] = {}) {
  let now = 1_000_000;
  const admission = new Admission(TOKEN, () => now, limits);
  return { admission, advance: (ms: number) => (now += ms) };
}

test("connections without hello are capped per address and in all; hello or closing frees the place", () => {
  const { admission } = driven({ maxPending: 10, maxPendingPerAddress: 3 });
  for (let i = 0; i < 3; i++) expect(admission.open("192.0.2.1")).toEqual({ ok: true });
  expect(admission.open("192.0.2.1")).toEqual({
    ok: false,
    code: CLOSE.crowded,
    reason: "3 connections from this address are waiting for hello; retry later",
    crowd: "address",
  });
  // The same address mapped into IPv6, as a dual-stack socket reports it, counts as the same address.
  expect(admission.open("::ffff:192.0.2.1")).toMatchObject({ ok: false, code: CLOSE.crowded });
  expect(admission.open("192.0.2.2")).toEqual({ ok: true });
  admission.abandon("192.0.2.1");
  expect(admission.hello("192.0.2.1", hello())).toEqual({ ok: true });
  expect(admission.open("192.0.2.1")).toEqual({ ok: true });
  expect(admission.open("192.0.2.1")).toEqual({ ok: true });
  expect(admission.pending).toBe(4);

  for (let i = 3; i < 9; i++) expect(admission.open(`192.0.2.${i}`)).toEqual({ ok: true });
  expect(admission.pending).toBe(10);
  expect(admission.open("192.0.2.100")).toEqual({
    ok: false,
    code: CLOSE.crowded,
    reason: "the pool has 10 connections waiting for hello; retry later",
    crowd: "pool",
  });
});

test("admitted workers are capped per address and in all; one that leaves frees its place", () => {
  const { admission } = driven({ maxWorkersPerAddress: 2, maxWorkers: 3 });
  const join = (address: string) => (admission.open(address), admission.hello(address, hello()));
  expect(join("192.0.2.1")).toEqual({ ok: true });
  expect(join("192.0.2.1")).toEqual({ ok: true });
  expect(join("192.0.2.1")).toEqual({ ok: false, code: CLOSE.crowded, reason: "2 workers from this address are connected already; retry later" });
  expect(join("192.0.2.2")).toEqual({ ok: true });
  expect(join("192.0.2.3")).toEqual({ ok: false, code: CLOSE.crowded, reason: "the pool has 3 workers connected; retry later" });
  admission.left("192.0.2.1");
  expect(join("192.0.2.3")).toEqual({ ok: true });
});

test("IPv6 addresses count per /64: one host cannot step round the cap by changing its low bits", () => {
  const { admission } = driven({ maxPendingPerAddress: 2 });
  expect(admission.open("2001:db8:1:2::1")).toEqual({ ok: true });
  expect(admission.open("2001:db8:1:2:ffff::9")).toEqual({ ok: true });
  expect(admission.open("2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd")).toMatchObject({ ok: false, code: CLOSE.crowded });
  expect(admission.open("2001:db8:1:3::1")).toEqual({ ok: true });
  expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
  expect(addressKey("::ffff:10.1.2.3")).toBe("10.1.2.3");
  expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
});

test("a wrong token is refused, and that address's next hellos are held off for 1 s, 2 s, 4 s … up to 60 s", () => {
  const { admission, advance } = driven();
  const attempt = (token: string) => {
    admission.open("198.51.100.7");
    return admission.hello("198.51.100.7", hello(token));
  };
  expect(attempt("guess-1")).toEqual({ ok: false, code: CLOSE.refused, reason: "wrong worker token" });
  // Within the penalty even the right token is not looked at.
  expect(attempt(TOKEN)).toEqual({ ok: false, code: CLOSE.heldOff, reason: "too many wrong tokens from this address; wait 1 s" });
  advance(999);
  expect(attempt("guess-2")).toMatchObject({ code: CLOSE.heldOff });
  advance(1);
  expect(attempt("guess-2")).toEqual({ ok: false, code: CLOSE.refused, reason: "wrong worker token" });
  expect(attempt("guess-3")).toEqual({ ok: false, code: CLOSE.heldOff, reason: "too many wrong tokens from this address; wait 2 s" });
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    advance(60_000);
    expect(attempt(`guess-${i}`)).toMatchObject({ code: CLOSE.refused });
    const held = attempt("x");
    waits.push(Number(held.ok ? NaN : held.reason.match(/wait (\d+) s/)?.[1]));
  }
  expect(waits).toEqual([4, 8, 16, 32, 60, 60, 60, 60]);
  // Another address is not affected.
  admission.open("198.51.100.8");
  expect(admission.hello("198.51.100.8", hello())).toEqual({ ok: true });
  advance(60_000);
  expect(attempt(TOKEN)).toEqual({ ok: true });
  expect(admission.pending).toBe(0);
});

test("offences are forgotten after a quiet while: the next wrong token costs 1 s again", () => {
  const { admission, advance } = driven({ forgetMs: 600_000 });
  const attempt = (token: string) => {
    admission.open("203.0.113.5");
    return admission.hello("203.0.113.5", hello(token));
  };
  for (let i = 0; i < 4; i++) {
    attempt("wrong");
    advance(60_000);
  }
  expect(attempt("wrong")).toMatchObject({ code: CLOSE.refused });
  expect(attempt("wrong")).toMatchObject({ reason: "too many wrong tokens from this address; wait 16 s" });
  advance(600_001);
  expect(admission.tracked).toBe(1);
  expect(attempt("wrong")).toMatchObject({ code: CLOSE.refused });
  expect(attempt("wrong")).toMatchObject({ reason: "too many wrong tokens from this address; wait 1 s" });
});

test("a worker dropped for invalid work holds its address off the same way; a protocol mismatch does not", () => {
  const { admission, advance } = driven();
  admission.invalidWork("192.0.2.9");
  admission.open("192.0.2.9");
  expect(admission.hello("192.0.2.9", hello())).toEqual({ ok: false, code: CLOSE.heldOff, reason: "a worker from this address sent false work or broken messages; wait 1 s" });
  advance(1000);
  admission.invalidWork("192.0.2.9");
  admission.open("192.0.2.9");
  expect(admission.hello("192.0.2.9", hello())).toMatchObject({ reason: "a worker from this address sent false work or broken messages; wait 2 s" });

  admission.open("192.0.2.10");
  expect(admission.hello("192.0.2.10", hello(TOKEN, 2))).toEqual({ ok: false, code: CLOSE.refused, reason: `protocol 2 is not supported; this pool speaks ${PROTOCOL_VERSION}` });
  admission.open("192.0.2.10");
  expect(admission.hello("192.0.2.10", hello())).toEqual({ ok: true });
});

test("the table of addresses is bounded: past it the longest quiet is forgotten first", () => {
  const { admission, advance } = driven({ maxTracked: 3 });
  for (let i = 1; i <= 5; i++) {
    admission.invalidWork(`10.0.0.${i}`);
    advance(10);
  }
  expect(admission.tracked).toBe(3);
  const helloFrom = (address: string) => {
    admission.open(address);
    return admission.hello(address, hello());
  };
  expect(helloFrom("10.0.0.1")).toEqual({ ok: true });
  expect(helloFrom("10.0.0.2")).toEqual({ ok: true });
  for (const i of [3, 4, 5]) expect(helloFrom(`10.0.0.${i}`)).toMatchObject({ code: CLOSE.heldOff });
});

test("cancelling: from loopback without --auth, from anywhere with it", () => {
  for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(mayCancel(address, false)).toBe(true);
  for (const address of ["10.0.0.1", "192.168.1.2", "203.0.113.7", "::ffff:10.0.0.1", "fd00::1", undefined]) expect(mayCancel(address, false)).toBe(false);
  expect(mayCancel("203.0.113.7", true)).toBe(true);
  expect(isLoopback("localhost")).toBe(false); // names are not addresses; the peer's address is always an IP
});

test("which pool addresses may see the token in clear: loopback and private ones, judged by every address a name has", async () => {
  for (const host of ["127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.10", "100.64.0.1", "fd12::1", "fe80::1", "localhost"]) {
    expect(await publicAddressesOf(host)).toEqual([]);
  }
  for (const host of ["203.0.113.7", "172.32.0.1", "100.128.0.1", "8.8.8.8", "2001:db8::1", "::ffff:8.8.8.8"]) expect(await publicAddressesOf(host)).toEqual([host]);
});

// ---- against a real pool on loopback ----

const main = join(import.meta.dir, "..", "src", "main.ts");
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_WORKER_TOKEN: TOKEN };
const miner = "5a".repeat(32);
const challenge = "0102030405060708";

function startPool(...args: string[]) {
  return startK2pow([process.execPath, main, "pool", "-b", "127.0.0.1:0", "--db", ":memory:", "--check-mode", "light", "--log-level", "debug", ...args], { env });
}

test("silent connections past the per-address cap make way for newer ones (4006), while an honest worker joins and finishes a job", async () => {
  const pool = await startPool();
  const port = Number(new URL(pool.base).port);
  const crowd = Array.from({ length: 9 }, () => rawSocket(port, POOL_PATH, "127.0.0.2"));
  try {
    const outcomes = await Promise.allSettled(crowd.map((s) => s.opened));
    expect(outcomes.every((o) => o.status === "fulfilled")).toBe(true);
    // The oldest of the nine makes way for the last.
    expect(await Promise.any(crowd.map((c) => c.closed))).toEqual({ code: CLOSE.crowded, reason: "a newer connection took this one's place while it had not said hello" });

    const worker = await startK2pow(
      [process.execPath, main, "join", pool.base, "--randomx-mode", "light", "--cores", "1", "--name", "honest", "--log-level", "debug"],
      { env, ready: /connected to the pool/ },
    );
    const path = `/job/${miner}/3/${challenge}/${EASY}`;
    const answer = await until("an answer", async () => {
      const r = await fetch(pool.base + path);
      return r.status === 201 ? null : { status: r.status, body: await r.text() };
    });
    expect(answer.status).toBe(200);
    const checker = new Engine({ mode: "light", threads: 1 });
    try {
      await checker.ready;
      const job = { miner: fromHex(miner), nonceGroup: 3, challenge: fromHex(challenge), difficulty: fromHex(EASY) };
      expect(meetsDifficulty(checker.hash(hashInput(job, BigInt(answer.body))), job.difficulty)).toBe(true);
    } finally {
      await checker.close();
    }
    expect(worker.log()).not.toContain(TOKEN);
    await pool.logged(/DEBUG worker refused remote=127\.0\.0\.2:\d+ code=4006/);
  } finally {
    for (const s of crowd) s.end();
  }
}, 60_000);

test("repeated wrong tokens get 4007 with the wait; neither the token nor a guess ever reaches the log", async () => {
  const pool = await startPool();
  const attempt = (token: string) =>
    new Promise<{ code: number; reason: string }>((resolve, reject) => {
      const ws = new WebSocket(pool.base.replace("http", "ws") + POOL_PATH);
      ws.onopen = () => ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token, name: "guesser", version: "test", threads: 1, mode: "light" }));
      ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
      ws.onerror = () => reject(new Error("could not connect"));
    });
  const guesses = ["guess-aaaaaaaaaaaaaaaa", "guess-bbbbbbbbbbbbbbbb", "guess-cccccccccccccccc"];
  const heldOff = { code: CLOSE.heldOff, reason: expect.stringMatching(/^too many wrong tokens from this address; wait \d+ s$/) };
  expect(await attempt(guesses[0]!)).toEqual({ code: CLOSE.refused, reason: "wrong worker token" });
  // Even the right token is not looked at while the address is held off (how long, by the pool's clock, is
  // test/pool-admission's in-process case).
  expect(await attempt(TOKEN)).toEqual(heldOff);
  await until("the hold-off to lapse, and the next guess to be checked", async () => (await attempt(guesses[1]!)).code === CLOSE.refused, 90_000);
  expect(await attempt(guesses[2]!)).toEqual(heldOff);
  await until("the refusals logged", async () => (pool.log().match(/worker refused/g) ?? []).length >= 4);
  expect(pool.log()).toMatch(/WARN  worker refused remote=127\.0\.0\.1:\d+ code=4001 reason="wrong worker token"/);
  expect(pool.log()).toMatch(/DEBUG worker refused .* code=4007 reason="too many wrong tokens from this address; wait \d+ s"/);
  for (const secret of [TOKEN, ...guesses]) expect(pool.log()).not.toContain(secret);
}, 120_000);

test("without --auth, DELETE is accepted from loopback", async () => {
  const pool = await startPool();
  const path = `/job/${miner}/4/${challenge}/${EASY}`;
  expect((await fetch(pool.base + path)).status).toBe(201);
  const cancelled = await fetch(pool.base + path, { method: "DELETE" });
  expect(cancelled.status).toBe(200);
  expect(await cancelled.text()).toBe("cancelled\n");
}, 30_000);

test("5,000 wrong passwords to a real pool from one address: a handful are checked; post-service elsewhere is answered throughout", async () => {
  const pool = await startPool("--auth", "smesher:s3cret");
  const path = `/job/${miner}/9/${challenge}/${EASY}`;
  const auth = { authorization: `Basic ${Buffer.from("smesher:s3cret").toString("base64")}` };
  const started = performance.now();
  let checked = 0;
  let ownerSlowest = 0;
  for (let i = 0; i < 5000; i++) {
    const r = await fetch(pool.base + path, { headers: { authorization: `Basic ${Buffer.from(`smesher:guess-${i}`).toString("base64")}` } });
    await r.arrayBuffer();
    if (r.status === 401) checked++;
    else expect(r.status).toBe(429);
    if (i % 500 === 0) {
      const t = performance.now();
      expect(await requestFrom("127.0.0.2", pool.base, "GET", path, auth)).toMatchObject({ status: 201 });
      ownerSlowest = Math.max(ownerSlowest, performance.now() - t);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`pool: 5,000 wrong passwords in ${seconds.toFixed(1)} s: ${checked} checked (${(checked / seconds).toFixed(1)} a second); post-service's slowest answer meanwhile ${ownerSlowest.toFixed(1)} ms`);
  // A hold-off a guess, doubling: over the seconds this takes, a handful at most.
  expect(checked).toBeLessThanOrEqual(Math.ceil(Math.log2(seconds + 1)) + 1);
  // Asked from the owner's address: the guesser's is held off, right password or not.
  const status = JSON.parse((await requestFrom("127.0.0.2", pool.base, "GET", "/status", auth)).body) as { refused: Record<string, number> };
  expect(status.refused.guessing).toBe(5000 - checked);
}, 60_000);

test("--max-workers caps the workers connected in all: one past it is told to retry later (4006), and gets in once a place is free", async () => {
  const pool = await startPool("--max-workers", "2");
  const port = Number(new URL(pool.base).port);
  const worker = (address: string, name: string) => {
    const welcomed = Promise.withResolvers<void>();
    const socket = rawSocket(port, POOL_PATH, address, (text) => {
      if ((JSON.parse(text) as { type: string }).type === "welcome") welcomed.resolve();
    });
    socket.opened.then(
      () => socket.sendText(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token: TOKEN, name, version: "test", threads: 1, mode: "light" })),
      (err: Error) => welcomed.reject(new Error(`worker ${name} could not connect: ${err.message}`)),
    );
    // Closed before its welcome: said at once, with the pool's reason, not after the test's timeout.
    void socket.closed.then(({ code, reason }) => welcomed.reject(new Error(`worker ${name} was closed before its welcome: ${code} ${reason}`)));
    // A close expected by the test leaves this rejection unawaited.
    welcomed.promise.catch(() => {});
    return { socket, welcomed: welcomed.promise };
  };
  const [a, b] = [worker("127.0.0.3", "a"), worker("127.0.0.4", "b")];
  const open = [a, b];
  try {
    await Promise.all([a.welcomed, b.welcomed]);
    const c = worker("127.0.0.5", "c");
    open.push(c);
    expect(await c.socket.closed).toEqual({ code: CLOSE.crowded, reason: "the pool has 2 workers connected; retry later" });
    a.socket.end();
    await until("the pool to let the first worker go", async () => ((await (await fetch(`${pool.base}/status`)).json()) as { workers: unknown[] }).workers.length === 1);
    const again = worker("127.0.0.5", "c");
    open.push(again);
    await again.welcomed;
  } finally {
    for (const w of open) w.socket.end();
  }
}, 60_000);
