// Three workers behind Debian's real HAProxy (2.6) with examples/haproxy/haproxy-2.6.cfg on loopback, checked end to
// end by `k2pow probe` exactly as post-service would use them: every nonce valid, nothing but 200/201/429 seen,
// also when a worker is killed while it holds a job. And two pools, each with a worker of its own, behind the same
// config: how a fleet past one pool's box is split.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endWithTest, startK2pow } from "./support/k2pow-process";
import { run } from "./support/run";
import { freePort } from "./support/free-port";
import { until } from "./support/until";

const root = join(import.meta.dir, "..");
const main = join(root, "src", "main.ts");
const haveHaproxy = Bun.which("haproxy") !== null;

type Proc = Awaited<ReturnType<typeof startK2pow>>;

/** The example config, with only its bind address changed to this test's. */
function configFor(port: number): string {
  const example = readFileSync(join(root, "examples", "haproxy", "haproxy-2.6.cfg"), "utf8");
  return example.replace(/^(\s*)bind :3000$/m, `$1bind 127.0.0.1:${port}`);
}

/** The workers' addresses, as the config reads them from its environment (K2POW_WORKER1 …). */
const workerAddresses = (ports: number[]) => Object.fromEntries(ports.map((p, i) => [`K2POW_WORKER${i + 1}`, `127.0.0.1:${p}`]));

/**
 * Three light-mode workers (busy answered 503, as the 2.6 config needs) and HAProxy in front of them, for one
 * test: everything is started and ended inside the test that uses it.
 */
async function startCluster() {
  const workers: Proc[] = await Promise.all(
    [1, 2, 3].map(() => startK2pow([process.execPath, main, "-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1", "--busy-status", "503"])),
  );
  const port = freePort();
  const config = configFor(port);
  expect(config.match(/^\s*server worker\d "\$\{K2POW_WORKER\d-127\.0\.0\.1:300\d\}" check$/gm)!.length).toBe(3);
  const dir = mkdtempSync(join(tmpdir(), "k2pow-haproxy-"));
  writeFileSync(join(dir, "haproxy.cfg"), config);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...workerAddresses(workers.map((w) => Number(new URL(w.base).port))) };
  const haproxy = Bun.spawn(["haproxy", "-db", "-f", join(dir, "haproxy.cfg")], { stdout: "pipe", stderr: "pipe", env });
  endWithTest(haproxy);
  let log = "";
  (async () => {
    for await (const chunk of haproxy.stdout as ReadableStream<Uint8Array>) log += new TextDecoder().decode(chunk);
  })();
  const base = `http://127.0.0.1:${port}`;
  await until("HAProxy to answer its health check", async () => fetch(base + "/").then((r) => r.status === 200, () => false), 10_000);
  return {
    base,
    workers,
    log: () => log,
    async stop() {
      haproxy.kill();
      await haproxy.exited;
      for (const w of workers) w.proc.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function probe(base: string, args: string[]) {
  const result = await run([process.execPath, main, "probe", base, "--groups", "6", "--parallelism", "3", "--backoff", "0.2", "--timeout", "120", ...args]);
  console.log(result.stdout.trim());
  return result;
}

/**
 * The HTTP statuses the probe saw, from its summary line. A connection error is not one: post-service waits its
 * backoff and asks again (SPEC §3); it can happen when a keep-alive connection is reused just as HAProxy closes it.
 */
function statusesSeen(stdout: string): string[] {
  const line = stdout.match(/^answers: (.*)$/m)![1]!;
  return line.split(", ").map((part) => part.split(" ×")[0]!).filter((status) => status !== "connection error");
}

describe.skipIf(!haveHaproxy)("HAProxy 2.6 in front of three workers (examples/haproxy/haproxy-2.6.cfg)", () => {
  test("the example configs parse (the 3.0 one where this HAProxy is 3.0 or later)", async () => {
    const check = await run(["haproxy", "-c", "-f", join(root, "examples", "haproxy", "haproxy-2.6.cfg")]);
    expect(check.code).toBe(0);
    const version = (await run(["haproxy", "-v"])).stdout.match(/version (\d+)\.(\d+)/)!;
    if (Number(version[1]) >= 3) {
      expect((await run(["haproxy", "-c", "-f", join(root, "examples", "haproxy", "haproxy-3.0.cfg")])).code).toBe(0);
    } else {
      // All of it but the one keyword this version lacks: the rest of the 3.0 config must be valid HAProxy too.
      const config = readFileSync(join(root, "examples", "haproxy", "haproxy-3.0.cfg"), "utf8");
      const without429 = config.replace(/^(\s*retry-on .*) 429$/m, "$1 503");
      expect(without429).not.toBe(config);
      const dir = mkdtempSync(join(tmpdir(), "k2pow-haproxy-"));
      writeFileSync(join(dir, "haproxy.cfg"), without429);
      expect((await run(["haproxy", "-c", "-f", join(dir, "haproxy.cfg")])).code).toBe(0);
      rmSync(dir, { recursive: true });
      console.log(
        `haproxy-3.0.cfg parsed with 'retry-on … 429' read as 503 (little more than the 2.6 config then): ` +
          `this HAProxy is ${version[1]}.${version[2]}; the 429 itself is checked by hand`,
      );
    }
  });

  test("k2pow probe: 6 groups at parallelism 3 all get valid nonces; only 200/201/429 reach the client", async () => {
    const cluster = await startCluster();
    try {
      const result = await probe(cluster.base, []);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^OK: every group got a valid nonce/m);
      expect(statusesSeen(result.stdout).every((s) => ["200", "201", "429"].includes(s))).toBe(true);
      // Every worker took part: the load balancer spread the jobs.
      for (const w of cluster.workers) await w.logged(/job done/);
      // Sticky: each job was started once, on one worker, however many polls it took.
      const started = cluster.workers.flatMap((w) => [...w.log().matchAll(/job started job=(\S+)/g)].map((m) => m[1]));
      expect(started.length).toBe(6);
      expect(new Set(started).size).toBe(6);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  test("a worker killed (SIGKILL) while it holds a job: the probe still succeeds, post-service sees no error", async () => {
    // About 128 hashes a group on one light thread: seconds a job, so there is a job to kill. A fixed job, not the
    // probe's random one: its groups' smallest valid nonces are 215, 90 and 28 (found by a light-mode search from 0,
    // as each worker's one thread searches), so the test does the same work every run, not up to 5 times as much.
    const slow = "01" + "ff".repeat(31);
    const cluster = await startCluster();
    try {
      // Three groups on three workers: one each, one of them cut off and run again elsewhere.
      const running = probe(cluster.base, ["--groups", "3", "--difficulty", slow, "--miner", "f6".repeat(32), "--challenge", "0123456789abcdef"]);
      type Status = { job: { hashes: number; miner: string; nonceGroup: number } | null };
      const { victim, victimJob } = await until("a worker to be searching a job", async () => {
        for (const w of cluster.workers) {
          const status = (await fetch(w.base + "/status").then((r) => r.json())) as Status;
          if (status.job !== null && status.job.hashes > 0) return { victim: w, victimJob: `${status.job.miner}/${status.job.nonceGroup}/` };
        }
        return null;
      }, 30_000);
      victim.proc.kill("SIGKILL");
      console.log(`killed the worker at ${victim.base} while it held a job`);

      const result = await running;
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^OK: every group got a valid nonce/m);
      expect(statusesSeen(result.stdout).every((s) => ["200", "201", "429"].includes(s))).toBe(true);
      expect(cluster.log()).toMatch(/worker\d is DOWN|Connection refused|L4CON/);
      // The killed worker's job was really cut off: another worker ran it afresh.
      const survivors = cluster.workers.filter((w) => w !== victim);
      expect(survivors.some((w) => w.log().includes(`job started job=${victimJob}`))).toBe(true);
    } finally {
      await cluster.stop();
    }
  }, 240_000);
});

describe.skipIf(!haveHaproxy)("HAProxy 2.6 in front of two pools, each with its own fleet (README, 'How many workers one pool serves')", () => {
  test("k2pow probe through HAProxy: every group valid, the jobs spread over both pools, each job on one pool only", async () => {
    const token = "haproxy-pools-token-0123456789abcdef";
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_WORKER_TOKEN: token };
    const pools: Proc[] = [];
    for (const name of ["fleet-a", "fleet-b"]) {
      const pool = await startK2pow([process.execPath, main, "pool", "-b", "127.0.0.1:0", "--check-mode", "light", "--db", ":memory:"], { env });
      await startK2pow([process.execPath, main, "join", pool.base, "--randomx-mode", "light", "--cores", "1", "--name", name], {
        env,
        ready: /connected to the pool/,
      });
      pools.push(pool);
    }
    // The example config with one server line per pool, as an operator edits it.
    const port = freePort();
    const config = configFor(port).replace(/^\s*server worker3 .*\n/m, "");
    expect(config.match(/^\s*server worker\d /gm)).toHaveLength(2);
    const dir = mkdtempSync(join(tmpdir(), "k2pow-haproxy-pools-"));
    writeFileSync(join(dir, "haproxy.cfg"), config);
    const haproxy = Bun.spawn(["haproxy", "-db", "-f", join(dir, "haproxy.cfg")], {
      stdout: "ignore",
      stderr: "pipe",
      env: { ...env, ...workerAddresses(pools.map((p) => Number(new URL(p.base).port))) },
    });
    endWithTest(haproxy);
    try {
      const base = `http://127.0.0.1:${port}`;
      await until("HAProxy to answer its health check", async () => fetch(base + "/").then((r) => r.status === 200, () => false), 10_000);
      const result = await probe(base, []);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^OK: every group got a valid nonce/m);
      expect(statusesSeen(result.stdout).every((s) => ["200", "201", "429"].includes(s))).toBe(true);
      const startedOn = pools.map((p) => [...p.log().matchAll(/job started job=(\S+)/g)].map((m) => m[1]));
      // Both pools took jobs, and every job was queued and run on one pool only.
      expect(startedOn.every((keys) => keys.length > 0)).toBe(true);
      expect(startedOn.flat()).toHaveLength(6);
      expect(new Set(startedOn.flat()).size).toBe(6);
    } finally {
      haproxy.kill();
      await haproxy.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
