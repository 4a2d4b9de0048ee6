// TLS end to end on loopback with certificates made by openssl for this run: a pool and a worker serving https://,
// post-service's polling (k2pow probe) over it, a worker joining over wss:// with --ca, the wrong CA refused with a
// message that says what to do, broken TLS files refused at start, and the token kept off plain ws:// to the
// internet.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { Engine } from "../src/engine/engine";
import { hashInput, meetsDifficulty } from "../src/engine/k2pow-rule";
import { makeCerts, type TestCerts } from "./support/certs";
import { startK2pow } from "./support/k2pow-process";
import { run } from "./support/run";
import { EASY, fromHex } from "./support/vectors";

const main = join(import.meta.dir, "..", "src", "main.ts");
const TOKEN = "tls-test-token-0123456789abcdef";
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_WORKER_TOKEN: TOKEN };
const miner = "6b".repeat(32);
const challenge = "0807060504030201";

let certs: TestCerts;
let checker: Engine;
beforeAll(async () => {
  certs = await makeCerts();
  checker = new Engine({ mode: "light", threads: 1 });
  await checker.ready;
}, 60_000);
afterAll(async () => {
  await checker?.close();
  certs?.remove();
}, 30_000);

const tlsFlags = () => ["--tls-cert", certs.cert, "--tls-key", certs.key];
const httpsBase = (started: { base: string }) => started.base.replace("http://", "https://");

async function startTlsPool() {
  const pool = await startK2pow([process.execPath, main, "pool", "-b", "127.0.0.1:0", "--db", ":memory:", "--check-mode", "light", ...tlsFlags()], { env });
  return { ...pool, base: httpsBase(pool) };
}

function probe(base: string, ...args: string[]) {
  return run(
    [process.execPath, main, "probe", base, "--groups", "3", "--parallelism", "3", "--backoff", "0.2", "--timeout", "60", "--miner", miner, "--challenge", challenge, "--difficulty", EASY, ...args],
    { env },
  );
}

/** Every group's nonce in a probe's report, checked here with one hash each. */
function expectValidNonces(stdout: string, groups: number) {
  for (let group = 0; group < groups; group++) {
    const nonce = BigInt(stdout.match(new RegExp(`^group\\s+${group}: .* nonce (\\d+), valid$`, "m"))![1]!);
    const job = { miner: fromHex(miner), nonceGroup: group, challenge: fromHex(challenge), difficulty: fromHex(EASY) };
    expect(meetsDifficulty(checker.hash(hashInput(job, nonce)), job.difficulty)).toBe(true);
  }
}

test("a pool over TLS: a worker joins over wss:// with --ca, and post-service's polling over https:// gets valid nonces", async () => {
  const pool = await startTlsPool();
  expect(pool.log()).toMatch(/listening on https:\/\/127\.0\.0\.1:0 port=\d+ workers=wss:\/\/HOST:\d+\/pool\/v1/);
  await startK2pow([process.execPath, main, "join", pool.base, "--ca", certs.ca, "--randomx-mode", "light", "--cores", "1", "--name", "tls"], {
    env,
    ready: /connected to the pool/,
  });
  const { stdout, code } = await probe(pool.base, "--ca", certs.ca);
  expect(stdout).toMatch(/^OK: every group got a valid nonce/m);
  expect(code).toBe(0);
  expectValidNonces(stdout, 3);
}, 60_000);

test("a worker or a probe that does not trust the pool's CA is refused with a message that says to give --ca", async () => {
  const pool = await startTlsPool();
  const worker = await startK2pow(
    [process.execPath, main, "join", pool.base, "--ca", certs.otherCa, "--randomx-mode", "light", "--cores", "1"],
    { env, ready: /certificate/ },
  );
  expect(worker.log()).toMatch(
    /ERROR the pool's certificate is not trusted \(unable to verify the first certificate\): give its CA with --ca FILE retry_seconds=/,
  );
  // The system's public CAs do not know a private CA either.
  const unaided = await startK2pow([process.execPath, main, "join", pool.base, "--randomx-mode", "light", "--cores", "1"], { env, ready: /certificate/ });
  expect(unaided.log()).toMatch(/ERROR the pool's certificate is not trusted .*: give its CA with --ca FILE/);

  const { stdout, code } = await probe(pool.base, "--ca", certs.otherCa);
  expect(code).toBe(1);
  expect(stdout).toMatch(/^group\s+0: .* FAILED: the server's certificate is not trusted \(unable to verify the first certificate\): give its CA with --ca FILE$/m);
  expect(stdout).toMatch(/^FAIL: no TLS connection to 127\.0\.0\.1:\d+ .*until it trusts its certificate$/m);
}, 60_000);

test("a worker serving https:// is answered over TLS like post-service would ask", async () => {
  const worker = await startK2pow(
    [process.execPath, main, "serve", "-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1", ...tlsFlags()],
    { env: { PATH: env.PATH } },
  );
  expect(worker.log()).toMatch(/listening on https:\/\/127\.0\.0\.1:0 port=\d+/);
  const { stdout, code } = await probe(httpsBase(worker), "--ca", certs.ca);
  expect(stdout).toMatch(/^OK: every group got a valid nonce/m);
  expect(code).toBe(0);
  expectValidNonces(stdout, 3);
}, 60_000);

test("TLS files that cannot be used stop serve and pool at start with one line naming the file (exit 3); a lone flag is a usage error", async () => {
  const bad = join(certs.dir, "not-a-cert.pem");
  copyFileSync(join(certs.dir, "server.ext"), bad);
  const cases: [string[], RegExp][] = [
    [["--tls-cert", certs.cert, "--tls-key", join(certs.dir, "missing.key")], /ERROR cannot read --tls-key \S+missing\.key: no such file$/m],
    [["--tls-cert", bad, "--tls-key", certs.key], /ERROR --tls-cert \S+not-a-cert\.pem is not a PEM certificate/m],
    [["--tls-cert", certs.cert, "--tls-key", join(certs.dir, "other-ca.key")], /ERROR --tls-key \S+other-ca\.key is not the key of the certificate in --tls-cert \S+server\.pem$/m],
  ];
  for (const [flags, message] of cases) {
    for (const command of [["pool", "--db", ":memory:", "--check-mode", "light"], ["serve", "--randomx-mode", "light", "--cores", "1"]]) {
      const { code, stderr } = await run([process.execPath, main, ...command, "-b", "127.0.0.1:0", ...flags], { env });
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(code).toBe(3);
    }
  }
  const lone = await run([process.execPath, main, "pool", "--tls-cert", certs.cert], { env });
  expect(lone.stderr).toMatch(/--tls-cert and --tls-key \(K2POW_TLS_CERT, K2POW_TLS_KEY\) go together/);
  expect(lone.code).toBe(2);
  const loneKey = await run([process.execPath, main, "serve"], { env: { ...env, K2POW_TLS_KEY: certs.key } });
  expect(loneKey.stderr).toMatch(/--tls-cert and --tls-key \(K2POW_TLS_CERT, K2POW_TLS_KEY\) go together/);
  expect(loneKey.code).toBe(2);
  const notCa = await run([process.execPath, main, "probe", "https://127.0.0.1:1", "--ca", bad], { env });
  expect(notCa.stderr).toMatch(/--ca \S+not-a-cert\.pem is not a PEM certificate/);
  expect(notCa.code).toBe(3);
}, 60_000);

test("join refuses to send its token over plain ws:// to a public address (exit 2, before connecting); --insecure allows it", async () => {
  const started = Date.now();
  const refused = await run([process.execPath, main, "join", "http://203.0.113.7:3000", "--randomx-mode", "light", "--cores", "1"], { env });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(
    /not sending the worker token in clear text to 203\.0\.113\.7, which is neither this machine nor a private network: anyone on the way could read it\. Serve the pool with --tls-cert and --tls-key and join https:\/\/…, or give --insecure/,
  );
  // Refused before anything else: no engine started, nothing logged about joining.
  expect(refused.stderr).not.toMatch(/joining|light mode/);
  expect(Date.now() - started).toBeLessThan(10_000);

  // With --insecure it goes ahead. It is stopped once it says so, long before its engine is ready to connect.
  const allowed = await startK2pow(
    [process.execPath, main, "join", "http://203.0.113.7:3000", "--insecure", "--randomx-mode", "light", "--cores", "1"],
    { env, ready: /--insecure: the worker token goes to the pool in clear text/ },
  );
  expect(allowed.proc.exitCode).toBeNull();
  allowed.proc.kill("SIGKILL");
  await allowed.exited;

  const local = await run([process.execPath, main, "join", "http://10.0.0.1:3000", "--ca", certs.ca], { env });
  expect(local.stderr).toMatch(/--ca \(K2POW_CA\) is for an https:\/\/ pool/);
  expect(local.code).toBe(2);
}, 30_000);
