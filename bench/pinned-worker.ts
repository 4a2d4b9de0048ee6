// A fast-mode worker with one search thread, the whole process pinned to core 0, for benchmarks of what something
// else costs its search (post-service's polls, an open dashboard): run from core 1, they load it and read its hash
// counter. Started at once, so that a benchmark's `finally` can stop it whatever happens.

export function startPinnedWorker(bench: string) {
  const main = new URL("../src/main.ts", import.meta.url).pathname;
  const proc = Bun.spawn(["taskset", "-c", "0", process.execPath, main, "-b", "127.0.0.1:0", "--randomx-mode", "fast", "--cores", "1"], {
    stderr: "pipe",
    stdout: "ignore",
  });
  let log = "";
  const decoder = new TextDecoder();
  (async () => {
    for await (const chunk of proc.stderr) log += decoder.decode(chunk);
  })();
  const waitFor = async (pattern: RegExp, ms: number): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = log.match(pattern);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`the worker did not log ${pattern} in time:\n${log}`);
      await Bun.sleep(50);
    }
  };

  return {
    pid: proc.pid,
    /** Once listening, with a job that runs throughout, its dataset built and its search settled: where it is. */
    async ready(): Promise<{ base: string; job: string }> {
      const port = (await waitFor(/listening on \S+ port=(\d+)/, 15_000))[1];
      const base = `http://127.0.0.1:${port}`;
      const job = `${base}/job/${"ab".repeat(32)}/1/${"cd".repeat(8)}/00000001${"00".repeat(28)}`; // about 2^32 hashes
      if ((await fetch(job)).status !== 201) throw new Error("the worker did not accept the job");
      console.error(`${bench}: waiting for the dataset`);
      await waitFor(/fast mode ready/, 120_000);
      await Bun.sleep(3000);
      return { base, job };
    },
    async stop(): Promise<void> {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** Hashes the worker at `base` has done since it started, from its /metrics. */
export async function hashesTotal(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(text.match(/^k2pow_hashes_total (\d+)/m)![1]);
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
