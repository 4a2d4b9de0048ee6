// k2pow probe as a user runs it before a proving window: it must catch a worker that hands out a wrong nonce (and
// say which group), a status post-service would fail on, and a URL where nothing answers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { Engine } from "../src/engine/engine";
import { hashInput, meetsDifficulty } from "../src/engine/k2pow-rule";
import { run } from "./support/run";
import { EASY, fromHex } from "./support/vectors";

const main = join(import.meta.dir, "..", "src", "main.ts");
const miner = "71".repeat(32);
const challenge = "0011223344556677";
let engine: Engine;
let double: ReturnType<typeof Bun.serve>;
let doubleBase = "";
let mode: "wrong nonce for group 2" | "503" = "wrong nonce for group 2";

beforeAll(async () => {
  engine = new Engine({ mode: "light", threads: 1 });
  await engine.ready;
  // A test double of a worker: right answers from a real engine, except where the test wants it wrong.
  let queue: Promise<unknown> = Promise.resolve();
  double = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    development: false,
    async fetch(request) {
      if (mode === "503") return new Response("overloaded", { status: 503 });
      const path = new URL(request.url).pathname;
      if (!path.startsWith("/job/")) return new Response("not found", { status: 404 });
      const group = Number(path.split("/")[3]);
      const job = { miner: fromHex(miner), nonceGroup: group, challenge: fromHex(challenge), difficulty: fromHex(EASY) };
      if (group !== 2) {
        // One search at a time on the double's engine.
        const answer = queue.then(() => engine.search(job));
        queue = answer.catch(() => {});
        return new Response(String((await answer).nonce));
      }
      let wrong = 0n;
      while (meetsDifficulty(engine.hash(hashInput(job, wrong)), job.difficulty)) wrong++;
      return new Response(String(wrong));
    },
  });
  doubleBase = `http://127.0.0.1:${double.port}`;
});
afterAll(async () => {
  double?.stop(true);
  await engine?.close();
});

const probe = (...args: string[]) => run([process.execPath, main, "probe", ...args, "--miner", miner, "--challenge", challenge, "--backoff", "0.1"]);

test("a worker that answers a wrong nonce: exit 1, and the group is named", async () => {
  mode = "wrong nonce for group 2";
  const { stdout, code } = await probe(doubleBase, "--groups", "4", "--parallelism", "2");
  console.log(stdout.trim());
  expect(code).toBe(1);
  expect(stdout).toMatch(/^group\s+2: .* is WRONG: its hash is not below the difficulty$/m);
  for (const group of [0, 1, 3]) expect(stdout).toMatch(new RegExp(`^group\\s+${group}: .*, valid$`, "m"));
  expect(stdout).toMatch(/^FAIL: 1 of 4 group\(s\) without a valid nonce$/m);
});

test("a status post-service fails on (503 from a proxy): exit 1, naming it", async () => {
  mode = "503";
  const { stdout, code } = await probe(doubleBase, "--groups", "2");
  expect(code).toBe(1);
  expect(stdout).toMatch(/FAILED: unknown status code 503/);
  expect(stdout).toMatch(/^FAIL: post-service fails a proof on 503$/m);
});

test("a URL with a trailing /: fails as post-service would (it asks for //job/…), and says why", async () => {
  const { stdout, code } = await probe(`${doubleBase}/`, "--groups", "1");
  expect(code).toBe(1);
  expect(stdout).toMatch(/^FAIL: post-service would ask for http:\/\/127\.0\.0\.1:\d+\/\/job\/… and get 404 for every group; drop the trailing \/ from its URL$/m);
});

test("nothing listening: it keeps backing off until --timeout, then exits 1 saying it could not connect", async () => {
  const port = (() => {
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const p = s.port;
    s.stop(true);
    return p;
  })();
  const t0 = performance.now();
  const { stdout, code } = await probe(`http://127.0.0.1:${port}`, "--groups", "2", "--timeout", "2");
  const seconds = (performance.now() - t0) / 1000;
  expect(code).toBe(1);
  expect(seconds).toBeGreaterThanOrEqual(2);
  expect(seconds).toBeLessThan(10);
  expect(stdout).toMatch(/^answers: connection error ×\d+$/m);
  expect(Number(stdout.match(/connection error ×(\d+)/)![1])).toBeGreaterThan(4); // it kept trying
  expect(stdout).toMatch(new RegExp(`^FAIL: could not connect to 127\\.0\\.0\\.1:${port} in 2 s; is the worker running`, "m"));
});

test("bad arguments exit 2 and name the bad one", async () => {
  const ftp = await run([process.execPath, main, "probe", "ftp://x"]);
  expect(ftp.code).toBe(2);
  expect(ftp.stderr).toMatch(/URL must be an http:\/\/ or https:\/\/ address/);
  const bad = await run([process.execPath, main, "probe", "http://x", "--difficulty", "00"]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--difficulty is not valid: difficulty must be 64 hex digits/);
});
