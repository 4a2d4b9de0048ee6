// The worker as users run it: the `k2pow` process, configured by flags and environment, answering while its
// dataset builds, logging its jobs, and stopping within 2 s of SIGTERM.
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { smallestVectors } from "./support/vectors";
import { jobPath, SLOW_JOB } from "./support/worker";

const main = join(import.meta.dir, "..", "src", "main.ts");
const running: ReturnType<typeof Bun.spawn>[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill("SIGKILL");
});

/** Starts `k2pow` and waits for its "listening" line; returns its base URL and a reader of everything it logged. */
async function startK2pow(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, main, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  running.push(proc);
  let log = "";
  const decoder = new TextDecoder();
  const reader = proc.stderr.getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      log += decoder.decode(value);
    }
  })();
  const deadline = Date.now() + 15_000;
  let port: string | undefined;
  while (!(port = log.match(/listening on \S+.*?port[=":]+(\d+)/)?.[1])) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`k2pow did not start:\n${log}`);
    await Bun.sleep(20);
  }
  return { proc, base: `http://127.0.0.1:${port}`, log: () => log, exited: pump.then(() => proc.exited) };
}

const v = smallestVectors.find((x) => x.smallest_valid_nonce === "16")!;
const easy = { miner: v.miner, nonceGroup: v.nonce_group, challenge: v.challenge, difficulty: v.difficulty };

describe("k2pow serve", () => {
  test("fast mode: answers at once, accepts a job while the dataset builds, runs it when ready", async () => {
    const w = await startK2pow(["-b", "127.0.0.1:0", "--randomx-mode", "fast", "--cores", "2"]);
    expect(await (await fetch(w.base + "/")).text()).toBe("{ 'message': 'ok' }");
    expect((await fetch(w.base + jobPath(easy))).status).toBe(201);
    await Bun.sleep(2000);
    const building = (await (await fetch(w.base + "/status")).json()) as { dataset: { state: string; progress: number }; job: { state: string } };
    expect(building.dataset.state).toBe("building");
    expect(building.dataset.progress).toBeGreaterThan(0);
    expect(building.job.state).toBe("waiting-for-engine");
    expect((await fetch(w.base + jobPath(easy))).status).toBe(201);

    let answer: Response;
    while ((answer = await fetch(w.base + jobPath(easy))).status === 201) await Bun.sleep(250);
    expect(answer.status).toBe(200);
    expect(BigInt(await answer.text()) >= 16n).toBe(true);
    const ready = (await (await fetch(w.base + "/status")).json()) as { dataset: { state: string; buildSeconds: number }; engine: { mode: string } };
    expect(ready).toMatchObject({ dataset: { state: "ready" }, engine: { mode: "fast" } });
    expect(w.log()).toMatch(/dataset built in [\d.]+ s on 2 threads/);
    expect(w.log()).toMatch(/job done .*nonce=\d+ hashes=\d+/);

    w.proc.kill("SIGTERM");
    expect(await w.exited).toBe(0);
  }, 120_000);

  test("configured by environment, logs JSON, reports progress, and stops a running job within 2 s of SIGTERM", async () => {
    const w = await startK2pow([], {
      K2POW_BIND_ADDRESS: "127.0.0.1:0",
      K2POW_RANDOMX_MODE: "light",
      K2POW_CORES: "1",
      K2POW_LOG_FORMAT: "json",
      K2POW_PROGRESS_INTERVAL: "0.5",
    });
    expect((await fetch(w.base + jobPath(SLOW_JOB))).status).toBe(201);
    await Bun.sleep(2500);
    const lines = w.log().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.message === "job started")).toMatchObject({ level: "info", expected_hashes: 400 });
    const progress = lines.filter((l) => l.message === "job running");
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(Number(progress.at(-1)!.hashes)).toBeGreaterThan(0);

    const t0 = performance.now();
    w.proc.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    const stoppedIn = performance.now() - t0;
    console.log(`stopped ${stoppedIn.toFixed(0)} ms after SIGTERM, mid-job`);
    expect(stoppedIn).toBeLessThan(2000);
    expect(w.log()).toMatch(/"message":"stopped"/);
  });

  test("a port in use is a clear error, exit 3", async () => {
    const first = await startK2pow(["-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1"]);
    const port = new URL(first.base).port;
    const second = Bun.spawn([process.execPath, main, "-b", `127.0.0.1:${port}`, "--randomx-mode", "light", "--cores", "1"], {
      stderr: "pipe",
    });
    running.push(second);
    expect(await second.exited).toBe(3);
    expect(await new Response(second.stderr).text()).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
  });
});
