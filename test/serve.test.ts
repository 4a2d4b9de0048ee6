// The worker as users run it: the `k2pow` process, configured by flags and environment, answering while its
// dataset builds, logging its jobs, and stopping within 2 s of SIGTERM.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startK2pow } from "./support/k2pow-process";
import { pollUntilAnswered } from "./support/poll";
import { until } from "./support/until";
import { smallestVectors } from "./support/vectors";
import { jobPath, SLOW_JOB } from "./support/worker";

const main = join(import.meta.dir, "..", "src", "main.ts");
const MiB = 1024 * 1024;
const k2pow = (args: string[], env?: Record<string, string>) =>
  startK2pow([process.execPath, main, ...args], env && { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });

/** Sends SIGTERM, expects a clean exit, and says how long it took (ms). */
async function terminate(w: Awaited<ReturnType<typeof k2pow>>, when: string): Promise<number> {
  const t0 = performance.now();
  w.proc.kill("SIGTERM");
  expect(await w.exited).toBe(0);
  const ms = performance.now() - t0;
  console.log(`stopped ${ms.toFixed(0)} ms after SIGTERM, ${when}`);
  return ms;
}

const v = smallestVectors.find((x) => x.smallest_valid_nonce === "16")!;
const easy = { miner: v.miner, nonceGroup: v.nonce_group, challenge: v.challenge, difficulty: v.difficulty };

describe("k2pow serve", () => {
  test("fast mode: answers at once, accepts a job while the dataset builds, runs it when ready", async () => {
    const w = await k2pow(["-b", "127.0.0.1:0", "--randomx-mode", "fast", "--cores", "2"]);
    expect(await (await fetch(w.base + "/")).text()).toBe("{ 'message': 'ok' }");
    expect((await fetch(w.base + jobPath(easy))).status).toBe(201);
    type Building = { dataset: { state: string; progress: number }; job: { state: string } };
    // The first /status that shows the build under way (it takes a few seconds in all).
    const building = await until("/status to show the dataset build under way", async () => {
      const status = (await (await fetch(w.base + "/status")).json()) as Building;
      return status.dataset.progress > 0 && status;
    });
    expect(building.dataset.state).toBe("building");
    expect(building.job.state).toBe("waiting-for-engine");
    expect((await fetch(w.base + jobPath(easy))).status).toBe(201);

    const answer = await pollUntilAnswered(w.base + jobPath(easy));
    expect(answer.status).toBe(200);
    expect(BigInt(answer.body) >= 16n).toBe(true);
    const ready = (await (await fetch(w.base + "/status")).json()) as { dataset: { state: string; buildSeconds: number }; engine: { mode: string } };
    expect(ready).toMatchObject({ dataset: { state: "ready" }, engine: { mode: "fast" } });
    expect(w.log()).toMatch(/dataset built with (AVX-512|AVX2|librandomx) in [\d.]+ s on 2 threads/);
    await w.logged(/job done .*nonce=\d+ hashes=\d+/);

    // What the build leaves resident while the worker searches: the dataset, the cache (kept for the light re-check),
    // 2 MiB of scratchpad a thread, and at most 150 MiB for the rest of the process, HTTP server included (the budget
    // fast mode is chosen by; test/engine-memory.test.ts holds a loaded dataset and light mode to it).
    expect((await fetch(w.base + jobPath(SLOW_JOB))).status).toBe(201);
    await until("the slow job to be searching", async () => {
      const status = (await (await fetch(w.base + "/status")).json()) as { job: { hashes: number } | null };
      return (status.job?.hashes ?? 0) > 100;
    });
    const resident = Number(readFileSync(`/proc/${w.proc.pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB$/m)![1]) * 1024;
    const budget = (2080 + 256 + 2 * 2 + 150) * MiB;
    console.log(`fast mode (dataset built), 2 threads: resident ${(resident / MiB).toFixed(0)} MiB, budget ${budget / MiB} MiB`);
    expect(resident).toBeLessThanOrEqual(budget);

    w.proc.kill("SIGTERM");
    expect(await w.exited).toBe(0);
  }, 120_000);

  test("configured by environment, logs JSON, reports progress, and stops a running job within 2 s of SIGTERM", async () => {
    const w = await k2pow([], {
      K2POW_BIND_ADDRESS: "127.0.0.1:0",
      K2POW_RANDOMX_MODE: "light",
      K2POW_CORES: "1",
      K2POW_LOG_FORMAT: "json",
      K2POW_PROGRESS_INTERVAL: "0.5",
    });
    expect((await fetch(w.base + jobPath(SLOW_JOB))).status).toBe(201);
    const lines = () => w.log().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const progress = await until("two progress lines of the running job", async () => {
      const running = lines().filter((l) => l.message === "job running");
      return running.length >= 2 && running;
    });
    expect(lines().find((l) => l.message === "job started")).toMatchObject({ level: "info", expected_hashes: 400 });
    expect(Number(progress.at(-1)!.hashes)).toBeGreaterThan(0);

    const stoppedIn = await terminate(w, "mid-job");
    expect(stoppedIn).toBeLessThan(2000);
    expect(w.log()).toMatch(/"message":"stopped"/);
  });

  test("SIGTERM while the dataset builds, with a job waiting for it: exit 0 well within 2 s, no error logged", async () => {
    const w = await k2pow(["-b", "127.0.0.1:0", "--randomx-mode", "fast", "--cores", "2"]);
    expect((await fetch(w.base + jobPath(easy))).status).toBe(201);
    await until("the dataset build to be under way", async () => {
      const status = (await (await fetch(w.base + "/status")).json()) as { dataset: { state: string; progress: number } };
      return status.dataset.state === "building" && status.dataset.progress > 0;
    });
    const stoppedIn = await terminate(w, "mid-build");
    expect(stoppedIn).toBeLessThan(1500);
    expect(w.log()).not.toMatch(/ERROR|WARN/);
  });

  test("a port in use is a clear error, exit 3", async () => {
    const first = await k2pow(["-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1"]);
    const port = new URL(first.base).port;
    const second = Bun.spawn([process.execPath, main, "-b", `127.0.0.1:${port}`, "--randomx-mode", "light", "--cores", "1"], {
      stderr: "pipe",
    });
    expect(await second.exited).toBe(3);
    second.kill();
    expect(await new Response(second.stderr).text()).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
  });
});
