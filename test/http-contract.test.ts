// The HTTP contract post-service relies on (SPEC §3), against the real server on loopback with a fake job API
// behind the seam (test/support/fake-job-api.ts): every status, exact bodies, busy, refusals, auth, malformed
// requests, DELETE, the shape of /status and the names in /metrics. test/http-end-to-end.test.ts runs the same
// server over a real engine.
import { afterEach, describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { serveJobApi } from "../src/http/job-api-server";
import type { RateHistoryReport } from "../src/jobs/rate-history";
import { DEFAULT_MAX_EXPECTED_HASHES } from "../src/jobs/work-bound";
import { FakeJobApi, serveFake } from "./support/fake-job-api";
import { ownNonLoopbackAddress, requestFrom } from "./support/from-address";
import { rawGet } from "./support/raw-http";
import { fromHex } from "./support/vectors";
import { jobPath } from "./support/worker";

const running: (() => unknown)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stop) => stop()));
});

function start(options: Parameters<typeof serveFake>[0] = {}) {
  const served = serveFake(options);
  running.push(served.stop);
  return served;
}

const get = async (base: string, path: string, init?: RequestInit) => {
  const r = await fetch(base + path, init);
  return { status: r.status, body: await r.text(), headers: r.headers };
};
const basic = (credentials: string) => ({ authorization: `Basic ${Buffer.from(credentials).toString("base64")}` });
const metricsOf = async (base: string) => (await get(base, "/metrics")).body;
interface StatusBody {
  refused: Record<string, number>;
  security: { auth: string; warning: string | null };
  job?: object | null;
  [field: string]: unknown;
}
const statusOf = async (base: string, headers: Record<string, string> = {}) =>
  (await (await fetch(`${base}/status`, { headers })).json()) as StatusBody;

const JOB = { miner: "a1".repeat(32), nonceGroup: 7, challenge: "0123456789abcdef", difficulty: "00ff" + "ff".repeat(30) };
const KEY = `${JOB.miner}/7/${JOB.challenge}/${JOB.difficulty}`;
const OTHER = { ...JOB, nonceGroup: 8 };
const OTHER_KEY = `${JOB.miner}/8/${JOB.challenge}/${JOB.difficulty}`;
const UPPER = { ...JOB, miner: JOB.miner.toUpperCase(), challenge: JOB.challenge.toUpperCase(), difficulty: JOB.difficulty.toUpperCase() };
/** Difficulty 1: 2^256 expected hashes. */
const IMPOSSIBLE = "00".repeat(31) + "01";

describe("the worker's job API", () => {
  test("GET / is the upstream health body", async () => {
    const { base } = start();
    const r = await get(base, "/");
    expect(r).toMatchObject({ status: 200, body: "{ 'message': 'ok' }" });
    expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
  });

  test("a new job is 201 with an empty body, again 201 while it runs, then 200 with the nonce's digits and nothing else", async () => {
    const { base, api } = start();
    expect(await get(base, jobPath(JOB))).toMatchObject({ status: 201, body: "" });
    expect(api.requests[0]).toEqual({
      key: KEY,
      job: { miner: fromHex(JOB.miner), nonceGroup: 7, challenge: fromHex(JOB.challenge), difficulty: fromHex(JOB.difficulty) },
      from: { address: "127.0.0.1", share: Infinity },
    });
    expect(await get(base, jobPath(JOB))).toMatchObject({ status: 201, body: "" });
    api.finish(KEY, { nonce: 72_057_594_037_927_935n });
    const done = await get(base, jobPath(JOB));
    expect(done).toMatchObject({ status: 200, body: "72057594037927935" });
    expect(done.headers.get("content-type")).toBe("text/plain; charset=utf-8");
  });

  test("hex in either case names the same job", async () => {
    const { base, api } = start();
    expect((await get(base, jobPath(UPPER))).status).toBe(201);
    api.finish(KEY, { nonce: 10n });
    expect(await get(base, jobPath(JOB))).toMatchObject({ status: 200, body: "10" });
    expect(api.requests.map((r) => r.key)).toEqual([KEY, KEY]);
  });

  test("a failed job is 500 with the error text as the body", async () => {
    const { base, api } = start();
    await get(base, jobPath(JOB));
    api.finish(KEY, { error: "search thread 1 stopped unexpectedly: boom" });
    expect(await get(base, jobPath(JOB))).toMatchObject({ status: 500, body: "search thread 1 stopped unexpectedly: boom" });
  });

  test("another job while one runs is 429 with Retry-After, counted as busy; --busy-status 503 answers 503", async () => {
    for (const busyStatus of [429, 503] as const) {
      const { base } = start({ busyStatus });
      expect((await get(base, jobPath(JOB))).status).toBe(201);
      const other = await get(base, jobPath(OTHER));
      expect(other).toMatchObject({ status: busyStatus, body: "busy with another job; retry later\n" });
      expect(other.headers.get("retry-after")).toBe("5");
      expect((await statusOf(base)).refused.busy).toBe(1);
    }
  });

  const malformed: [string, string][] = [
    ["short miner", jobPath({ ...JOB, miner: "ab" })],
    ["long miner", jobPath({ ...JOB, miner: JOB.miner + "00" })],
    ["non-hex miner", jobPath({ ...JOB, miner: "g".repeat(64) })],
    ["group 256", jobPath({ ...JOB, nonceGroup: 256 })],
    ["negative group", jobPath({ ...JOB, nonceGroup: -1 })],
    ["group not a number", jobPath({ ...JOB, nonceGroup: "x" })],
    ["short challenge", jobPath({ ...JOB, challenge: "00" })],
    ["non-hex challenge", jobPath({ ...JOB, challenge: "zz".repeat(8) })],
    ["short difficulty", jobPath({ ...JOB, difficulty: "ff" })],
    ["zero difficulty", jobPath({ ...JOB, difficulty: "0".repeat(64) })],
    ["0x prefix", jobPath({ ...JOB, difficulty: "0x" + JOB.difficulty.slice(2) })],
    ["extra path part", jobPath(JOB) + "/extra"],
    ["missing part", `/job/${JOB.miner}/${JOB.nonceGroup}/${JOB.challenge}`],
    ["empty part", `/job/${JOB.miner}//${JOB.challenge}/${JOB.difficulty}`],
    ["bad percent-encoding", `/job/${JOB.miner}/%zz/${JOB.challenge}/${JOB.difficulty}`],
  ];
  /** What a path that is not /job/ and four parts is told; the others name the field that is wrong. */
  const pathMessages: Record<string, RegExp> = {
    "extra path part": /^expected \/job\/miner\/nonce_group\/challenge\/difficulty, got 5 path part\(s\)\n$/,
    "missing part": /^expected \/job\/miner\/nonce_group\/challenge\/difficulty, got 3 path part\(s\)\n$/,
    "empty part": /^nonce_group must be a decimal number from 0 to 255, got ''\n$/,
    "bad percent-encoding": /^the job path is not valid percent-encoding\n$/,
  };
  test.each(malformed)("%s is 400 with a message naming what is wrong, and never reaches the job API", async (name, path) => {
    const { base, api } = start();
    const r = await get(base, path);
    expect(r.status).toBe(400);
    expect(r.body).toMatch(pathMessages[name] ?? /^(miner|nonce_group|challenge|difficulty) must .*\n$/);
    expect(api.requests).toEqual([]);
    expect((await statusOf(base)).refused.malformed).toBe(1);
  });

  test("the messages of a malformed path are exact", async () => {
    const { base } = start();
    expect((await get(base, jobPath({ ...JOB, nonceGroup: 256 }))).body).toBe("nonce_group must be a decimal number from 0 to 255, got 256\n");
    expect((await get(base, jobPath({ ...JOB, miner: "ab" }))).body).toBe("miner must be 64 hex digits (32 bytes, no 0x), got 'ab'\n");
    expect((await get(base, `/job/${JOB.miner}/7`)).body).toBe("expected /job/miner/nonce_group/challenge/difficulty, got 2 path part(s)\n");
  });

  test("a job past --max-expected-hashes is 400 saying why, counted as impossible, and never reaches the job API", async () => {
    const { base, api } = start({ maxExpectedHashes: DEFAULT_MAX_EXPECTED_HASHES });
    expect(await get(base, jobPath({ ...JOB, difficulty: IMPOSSIBLE }))).toMatchObject({
      status: 400,
      body: "the difficulty needs about 2^256 hashes: longer than any proving window on any machine; jobs are taken up to 4,915,200,000 (--max-expected-hashes)\n",
    });
    expect(api.requests).toEqual([]);
    expect((await get(base, jobPath(JOB))).status).toBe(201);
    expect((await statusOf(base)).refused.impossible).toBe(1);
    expect(await metricsOf(base)).toMatch(/^k2pow_requests_refused_total\{reason="impossible"\} 1$/m);
  });

  test.each(["pow", "pow:80", "lb", "w1", "a-much-longer-host.example:3000"])("a request with Host %s is routed by its path", async (host) => {
    const { base, api } = start();
    expect(await rawGet(base, "/", { Host: host })).toMatchObject({ status: 200, body: "{ 'message': 'ok' }" });
    expect((await rawGet(base, jobPath(JOB), { Host: host })).status).toBe(201);
    api.finish(KEY, { nonce: 10n });
    expect(await rawGet(base, jobPath(JOB), { Host: host })).toMatchObject({ status: 200, body: "10" });
    expect((await rawGet(base, "/job/", { Host: host })).status).toBe(400);
  });

  test("HTTP/1.0 without a Host header (as HAProxy's health checks ask) is answered", async () => {
    const { base, api } = start();
    expect(await rawGet(base, "/", {}, "1.0")).toMatchObject({ status: 200, body: "{ 'message': 'ok' }" });
    expect((await rawGet(base, jobPath(JOB), {}, "1.0")).status).toBe(201);
    api.finish(KEY, { nonce: 10n });
    expect(await rawGet(base, jobPath(JOB), {}, "1.0")).toMatchObject({ status: 200, body: "10" });
  });

  test("unknown paths and methods are 404", async () => {
    const { base, api } = start();
    expect(await get(base, "/jobs")).toMatchObject({ status: 404, body: "not found\n" });
    expect((await get(base, "/job")).status).toBe(404);
    expect((await get(base, jobPath(JOB), { method: "POST" })).status).toBe(404);
    expect(api.requests).toEqual([]);
  });

  test("a fault behind the seam is 500 with a generic line: its message goes to the log, never to the client", async () => {
    const faults: string[][] = [];
    const { base, api } = start({ onFault: (method, path, error) => faults.push([method, path, error]) });
    api.statusFault = new Error("the status could not be read at /var/lib/secret");
    expect(await get(base, "/status")).toMatchObject({ status: 500, body: "internal error; the server's log has the detail\n" });
    expect(faults).toEqual([["GET", "/status", "the status could not be read at /var/lib/secret"]]);
    // The server goes on.
    api.statusFault = null;
    expect((await get(base, "/status")).status).toBe(200);
  });
});

describe("DELETE /job/...", () => {
  test("cancels a running job or forgets an answer (200), else 404; a malformed path is 400", async () => {
    const { base, api } = start();
    await get(base, jobPath(UPPER));
    expect(await get(base, jobPath(UPPER), { method: "DELETE" })).toMatchObject({ status: 200, body: "cancelled\n" });
    expect((await get(base, jobPath(OTHER))).status).toBe(201);
    api.finish(OTHER_KEY, { nonce: 3n });
    expect(await get(base, jobPath(OTHER), { method: "DELETE" })).toMatchObject({ status: 200, body: "cancelled\n" });
    expect(await get(base, jobPath(OTHER), { method: "DELETE" })).toMatchObject({ status: 404, body: "no such job\n" });
    expect(api.cancels).toEqual([KEY, OTHER_KEY, OTHER_KEY]);
    expect((await get(base, "/job/nope", { method: "DELETE" })).status).toBe(400);
    expect(api.cancels).toHaveLength(3);
  });

  test("open to the network without --auth: a warning in /status, and DELETE from another address is 403", async () => {
    const { base, api, server } = start({ hostname: "0.0.0.0" });
    const warning =
      "open to the network without --auth: anyone who reaches this port can run jobs on this worker, each for up to --job-timeout while post-service's wait, and read its jobs (miner ids, challenges, nonces) in /status and /ui; set --auth USER:PASSWORD (K2POW_AUTH), or bind to 127.0.0.1";
    expect(server.warning()).toBe(warning);
    expect((await statusOf(base)).security).toEqual({ auth: "none", warning });
    expect((await get(base, jobPath(JOB))).status).toBe(201);
    const other = ownNonLoopbackAddress();
    if (other === null) return console.log("this machine has no non-loopback address: DELETE from another address not tried");
    expect(await requestFrom(other, base, "DELETE", jobPath(JOB))).toEqual({
      status: 403,
      body: "cancelling a job from another machine needs k2pow to run with --auth USER:PASSWORD\n",
    });
    expect(api.cancels).toEqual([]);
    expect((await statusOf(base)).refused.forbidden).toBe(1);
    // 127.0.0.2 is this machine too.
    expect(await requestFrom("127.0.0.2", base, "DELETE", jobPath(JOB))).toEqual({ status: 200, body: "cancelled\n" });
  });

  test("bound to loopback, no warning", async () => {
    const { base, server } = start();
    expect(server.warning()).toBeNull();
    expect((await statusOf(base)).security).toEqual({ auth: "none", warning: null });
  });
});

describe("with --auth", () => {
  test("everything but GET / needs the credentials post-service sends from user:password@", async () => {
    const { base, api } = start({ auth: "smesher:s3cret" });
    expect((await get(base, "/")).status).toBe(200);
    const denied = await get(base, jobPath(JOB));
    expect(denied).toMatchObject({ status: 401, body: "authentication required\n" });
    expect(denied.headers.get("www-authenticate")).toBe('Basic realm="k2pow"');
    expect((await get(base, "/status")).status).toBe(401);
    expect((await get(base, "/metrics")).status).toBe(401);
    expect((await get(base, "/ui")).status).toBe(401);
    expect(api.requests).toEqual([]);
    expect((await get(base, jobPath(JOB), { headers: basic("smesher:s3cret") })).status).toBe(201);
    expect(api.requests.map((r) => r.key)).toEqual([KEY]);
    const status = await statusOf(base, basic("smesher:s3cret"));
    // Asking without credentials (a browser's first request) is no guess: the right password works at once after.
    expect(status.refused.unauthorized).toBe(4);
    expect(status.security).toEqual({ auth: "basic", warning: null });
  });

  test("a wrong password holds its address off: its next credentials are not even checked; other addresses go on", async () => {
    const { base, api } = start({ auth: "smesher:s3cret" });
    expect((await get(base, jobPath(JOB), { headers: basic("smesher:wrong") })).status).toBe(401);
    // From the guesser's address, even the right password waits: a guess a hold-off, 1 s, then 2 s, 4 s … 60 s.
    const held = await get(base, jobPath(JOB), { headers: basic("smesher:s3cret") });
    expect(held).toMatchObject({ status: 429, body: "too many wrong passwords from this address; wait 1 s\n" });
    expect(held.headers.get("retry-after")).toBe("1");
    expect((await get(base, "/status/history", { headers: basic("smesher:guess") })).status).toBe(429);
    expect(api.requests).toEqual([]);
    // post-service at another address is not affected.
    const auth = basic("smesher:s3cret");
    expect(await requestFrom("127.0.0.2", base, "GET", jobPath(JOB), auth)).toMatchObject({ status: 201 });
    expect(api.requests.map((r) => r.key)).toEqual([KEY]);
    const status = JSON.parse((await requestFrom("127.0.0.2", base, "GET", "/status", auth)).body) as { refused: Record<string, number> };
    expect(status.refused).toMatchObject({ unauthorized: 1, guessing: 2 });
  });

  test("5,000 wrong passwords from one address: a handful are checked; post-service elsewhere is answered throughout", async () => {
    const { base, api } = start({ auth: "smesher:s3cret" });
    const auth = basic("smesher:s3cret");
    const started = performance.now();
    let checked = 0;
    let ownerSlowest = 0;
    for (let i = 0; i < 5000; i++) {
      const r = await fetch(base + jobPath(JOB), { headers: basic(`smesher:guess-${i}`) });
      await r.arrayBuffer();
      if (r.status === 401) checked++;
      else expect(r.status).toBe(429);
      if (i % 500 === 0) {
        const t = performance.now();
        expect(await requestFrom("127.0.0.2", base, "GET", jobPath(JOB), auth)).toMatchObject({ status: 201 });
        ownerSlowest = Math.max(ownerSlowest, performance.now() - t);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`5,000 wrong passwords in ${seconds.toFixed(1)} s: ${checked} checked (${(checked / seconds).toFixed(1)} a second); post-service's slowest answer meanwhile ${ownerSlowest.toFixed(1)} ms`);
    // A hold-off a guess, doubling: over the few seconds this takes, a handful at most.
    expect(checked).toBeLessThanOrEqual(Math.ceil(Math.log2(seconds + 1)) + 1);
    expect(api.requests.map((r) => r.key)).toEqual(Array(10).fill(KEY));
  });

  test("no path trick gets past it, whatever the Host", async () => {
    const { base, api } = start({ auth: "smesher:s3cret" });
    for (const host of ["abc", "pow:80", "k2pow.example"]) {
      for (const target of [`/#${jobPath(JOB)}`, `/#/status`, `//status`, `/./status`, `/x/../metrics`, `/status#`, `/status?x=/`]) {
        const r = await rawGet(base, target, { Host: host });
        // Either refused, or (the fragment dropped) the open health check: never a job, status or metrics answer.
        const kept = r.status === 401 || (r.status === 200 && r.body === "{ 'message': 'ok' }");
        expect({ target, host, status: r.status, kept }).toEqual({ target, host, status: r.status, kept: true });
      }
    }
    expect(api.requests).toEqual([]);
  });

  test("DELETE needs the credentials, and with them works from anywhere", async () => {
    const { base, api } = start({ auth: "smesher:secret" });
    const auth = basic("smesher:secret");
    expect((await get(base, jobPath(JOB), { headers: auth })).status).toBe(201);
    expect((await get(base, jobPath(JOB), { method: "DELETE" })).status).toBe(401);
    const other = ownNonLoopbackAddress();
    if (other !== null) expect((await requestFrom(other, base, "DELETE", jobPath(JOB))).status).toBe(401);
    expect(api.cancels).toEqual([]);
    expect(await get(base, jobPath(JOB), { method: "DELETE", headers: auth })).toMatchObject({ status: 200, body: "cancelled\n" });
    if (other !== null) {
      expect((await get(base, jobPath(JOB), { headers: auth })).status).toBe(201);
      expect(await requestFrom(other, base, "DELETE", jobPath(JOB), auth)).toEqual({ status: 200, body: "cancelled\n" });
    }
    expect((await statusOf(base, auth)).refused.unauthorized).toBe(other === null ? 1 : 2);
  });
});

describe("/status and /metrics", () => {
  test("/status writes out the job API's status: fields, order and numbers as post-service's operators read them", async () => {
    const { base, api } = start({ maxExpectedHashes: DEFAULT_MAX_EXPECTED_HASHES, jobTimeoutSeconds: 600 });
    api.current = {
      engine: { phase: "dataset", mode: "fast", pages: "thp", hugePageBytes: 2_097_152, threads: 2, threadsReason: "2 threads, as configured", error: null },
      dataset: { state: "building", progress: 0.25, buildSeconds: null, source: null, builtWith: null, file: { path: "/var/cache/k2pow/randomx-dataset.bin", save: "idle" } },
      hashRate: 12.5,
      hashesTotal: 123_456,
      job: { ...JOB, state: "running", seconds: 3.5, hashes: 1000, expectedHashes: 400, etaSeconds: 2 },
      jobs: { done: 1, failed: 2, remembered: 3 },
      recent: {
        jobs: [
          { key: KEY, outcome: "done", nonce: 2n ** 55n + 1n, error: null, seconds: 9.5, hashes: 400, hashRate: 50, finishedAt: 1_763_700_000_000 },
          { key: OTHER_KEY, outcome: "failed", nonce: null, error: "timed out", seconds: 1, hashes: null, hashRate: null, finishedAt: 1_763_600_000_000 },
        ],
        errors: [{ at: 1_763_600_000_000, key: OTHER_KEY, message: "timed out" }],
      },
    };
    await get(base, "/job/x");
    const r = await fetch(`${base}/status`);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const body = (await r.json()) as StatusBody;
    expect(body).toEqual({
      version: "test",
      target: "test-target",
      librandomx: "1.2.1",
      uptimeSeconds: expect.any(Number),
      engine: { phase: "dataset", mode: "fast", pages: "thp", hugePageBytes: 2_097_152, threads: 2, threadsReason: "2 threads, as configured", error: null },
      dataset: { state: "building", progress: 0.25, buildSeconds: null, source: null, builtWith: null, file: { path: "/var/cache/k2pow/randomx-dataset.bin", save: "idle" } },
      hashRate: 12.5,
      hashesTotal: 123_456,
      job: { ...JOB, state: "running", seconds: 3.5, hashes: 1000, expectedHashes: 400, etaSeconds: 2 },
      jobs: { done: 1, failed: 2, remembered: 3 },
      // Nonces go up to 2^56, past JSON's exact integers: a decimal string, as the job API answers them.
      recent: {
        jobs: [
          { key: KEY, outcome: "done", nonce: "36028797018963969", error: null, seconds: 9.5, hashes: 400, hashRate: 50, finishedAt: 1_763_700_000_000 },
          { key: OTHER_KEY, outcome: "failed", nonce: null, error: "timed out", seconds: 1, hashes: null, hashRate: null, finishedAt: 1_763_600_000_000 },
        ],
        errors: [{ at: 1_763_600_000_000, key: OTHER_KEY, message: "timed out" }],
      },
      limits: { maxExpectedHashes: 4_915_200_000, jobTimeoutSeconds: 600 },
      security: { auth: "none", warning: null },
      refused: { malformed: 1, impossible: 0, busy: 0, unauthorized: 0, guessing: 0, forbidden: 0 },
    });
    expect(Object.keys(body)).toEqual([
      ...["version", "target", "librandomx", "uptimeSeconds", "engine", "dataset", "hashRate", "hashesTotal", "job", "jobs"],
      ...["recent", "limits", "security", "refused"],
    ]);
    expect(Object.keys(body.job!)).toEqual([
      ...["miner", "nonceGroup", "challenge", "difficulty"],
      ...["state", "seconds", "hashes", "expectedHashes", "etaSeconds"],
    ]);
  });

  test("/status of an idle worker has job null", async () => {
    const { base } = start();
    expect(await statusOf(base)).toMatchObject({
      job: null,
      dataset: { state: "none" },
      hashesTotal: 0,
      jobs: { done: 0, failed: 0, remembered: 0 },
    });
  });

  test("/metrics reads the status when scraped and counts the outcomes the job API's events report", async () => {
    const { base, api } = start();
    const empty = await metricsOf(base);
    expect(empty).toMatch(/^k2pow_jobs_total\{outcome="done"\} 0$/m);
    expect(empty).toMatch(/^k2pow_jobs_total\{outcome="failed"\} 0$/m);
    expect(empty).toMatch(/^k2pow_job_running 0$/m);
    expect(empty).toMatch(/^k2pow_dataset_build_seconds 0$/m);
    expect(empty).toMatch(/^k2pow_job_running_seconds 0$/m);
    expect(empty).toMatch(/^k2pow_job_expected_hashes 0$/m);
    for (const reason of ["malformed", "impossible", "busy", "unauthorized", "forbidden"]) {
      expect(empty).toMatch(new RegExp(`^k2pow_requests_refused_total\\{reason="${reason}"\\} 0$`, "m"));
    }

    await get(base, jobPath(JOB));
    api.finish(KEY, { nonce: 5n }, 12);
    await get(base, jobPath(OTHER));
    api.finish(OTHER_KEY, { error: "timed out after 1 s (the worker's --job-timeout)" }, 1);
    api.current = {
      ...api.current,
      hashesTotal: 5000,
      hashRate: 42,
      dataset: { state: "ready", progress: 1, buildSeconds: 26.5, source: "built", builtWith: "AVX-512", file: null },
      job: { ...JOB, state: "running", seconds: 1.5, hashes: 7, expectedHashes: 400, etaSeconds: null },
    };
    const r = await fetch(`${base}/metrics`);
    expect(r.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const metrics = await r.text();
    expect(metrics).toMatch(/^k2pow_jobs_total\{outcome="done"\} 1$/m);
    expect(metrics).toMatch(/^k2pow_jobs_total\{outcome="failed"\} 1$/m);
    expect(metrics).toMatch(/^k2pow_job_duration_seconds_count\{outcome="done"\} 1$/m);
    expect(metrics).toMatch(/^k2pow_job_duration_seconds_sum\{outcome="done"\} 12$/m);
    expect(metrics).toMatch(/^k2pow_job_duration_seconds_bucket\{le="10",outcome="failed"\} 1$/m);
    expect(metrics).toMatch(/^k2pow_hashes_total 5000$/m);
    expect(metrics).toMatch(/^k2pow_hash_rate 42$/m);
    expect(metrics).toMatch(/^k2pow_job_running 1$/m);
    expect(metrics).toMatch(/^k2pow_dataset_build_seconds 26.5$/m);
    expect(metrics).toMatch(/^k2pow_dataset_ready_seconds\{source="built"\} 26.5$/m);
    expect(metrics).toMatch(/^k2pow_job_running_seconds 1.5$/m);
    expect(metrics).toMatch(/^k2pow_job_expected_hashes 400$/m);
    api.current = { ...api.current, hashesTotal: 5600 };
    expect(await metricsOf(base)).toMatch(/^k2pow_hashes_total 5600$/m);
  });
});

describe("the dashboard's routes", () => {
  test("/ui is one self-contained HTML page for the worker, allowed to fetch from its own origin only", async () => {
    const { base } = start();
    const r = await fetch(`${base}/ui`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await r.text();
    expect(html).toContain('data-role="worker"');
    // Everything inline: no script, style or image is fetched from anywhere.
    expect(html).not.toMatch(/<script[^>]*\bsrc=|<link[^>]*stylesheet|https?:\/\/(?!www\.w3\.org)/);
    // The one script that may run is the page's own, by its hash: nothing injected inline would.
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    const hash = new Bun.CryptoHasher("sha256").update(scripts[0]!).digest("base64");
    expect(csp).toContain(`script-src 'sha256-${hash}';`);
    expect(csp).not.toContain("unsafe-eval");
    expect(csp.match(/script-src [^;]*/)![0]).not.toContain("unsafe-inline");
    // With a trailing slash the page's relative fetches would miss /status: sent to /ui.
    const slash = await fetch(`${base}/ui/`, { redirect: "manual" });
    expect([slash.status, slash.headers.get("location")]).toEqual([308, "../ui"]);
    expect((await fetch(`${base}/ui/`)).url).toBe(`${base}/ui`);
    expect((await get(base, "/")).body).toBe("{ 'message': 'ok' }");
  });

  test("/status/history gives the points after `since`, oldest first; a bad `since` is 400 and changes nothing", async () => {
    const { base, api } = start();
    api.points = [1000, 6000, 11000].map((at) => ({ at, total: at / 100 }));
    const all = await fetch(`${base}/status/history`);
    expect(all.headers.get("cache-control")).toBe("no-store");
    expect(await all.json()).toEqual({ intervalSeconds: 5, windowSeconds: 3600, points: api.points });
    expect(((await (await fetch(`${base}/status/history?since=6000`)).json()) as RateHistoryReport).points).toEqual([{ at: 11000, total: 110 }]);
    expect(await get(base, "/status/history?since=soon")).toMatchObject({ status: 400, body: "since must be milliseconds since the epoch\n" });
    expect(((await (await fetch(`${base}/status/history`)).json()) as RateHistoryReport).points).toHaveLength(3);
  });
});

describe("the pool's options, through the same function", () => {
  test("a full share of the queue is 429 with the pool's reason, counted by cause; the address and share reach the job API", async () => {
    const api = new FakeJobApi();
    const registry = new Registry();
    const jobApi = serveJobApi({
      api,
      what: "pool",
      busyStatus: 429,
      maxExpectedHashes: DEFAULT_MAX_EXPECTED_HASHES,
      queuePerAddress: 3,
      registry,
      statusBody: (s) => ({ version: "test", queued: s.jobs.remembered }),
      limits: { queueSize: 10, queuePerAddress: 3 },
    });
    const listening = Bun.serve({ hostname: "0.0.0.0", port: 0, development: false, fetch: jobApi.fetch });
    running.push(() => listening.stop(true));
    jobApi.listening("0.0.0.0");
    const base = `http://127.0.0.1:${listening.port}`;

    expect((await get(base, jobPath(JOB))).status).toBe(201);
    expect(api.requests[0]!.from).toEqual({ address: "127.0.0.1", share: 3 });
    api.busy = { kind: "busy", cause: "queue-share", reason: "this address holds 3 jobs in the pool's queue, its share (--queue-per-address)" };
    const share = await get(base, jobPath(OTHER));
    expect(share).toMatchObject({ status: 429, body: "this address holds 3 jobs in the pool's queue, its share (--queue-per-address); retry later\n" });
    expect(share.headers.get("retry-after")).toBe("5");
    api.busy = { kind: "busy", cause: "queue-full", reason: "the pool's queue is full" };
    expect((await get(base, jobPath(OTHER))).status).toBe(429);

    expect(await statusOf(base)).toEqual({
      version: "test",
      queued: 0,
      limits: { queueSize: 10, queuePerAddress: 3 },
      security: { auth: "none", warning: expect.stringMatching(/^open to the network without --auth: anyone who reaches this port can queue jobs on this pool/) },
      refused: { malformed: 0, impossible: 0, busy: 0, "queue-full": 1, "queue-share": 1, unauthorized: 0, guessing: 0, forbidden: 0 },
    });
    expect(await metricsOf(base)).toMatch(/^k2pow_pool_requests_refused_total\{reason="queue-share"\} 1$/m);
  });
});
