// A real worker in this process for HTTP tests: light-mode engine, job manager and server on a loopback port.
import { Engine } from "../../src/engine/engine";
import { createServer } from "../../src/http/server";
import { JobManager } from "../../src/jobs/job-manager";
import type { JobEvent } from "../../src/jobs/worker-api";

export async function startWorker(options: { threads: number; auth?: string; remember?: number; workerUrl?: URL }) {
  const engine = new Engine({ mode: "light", threads: options.threads, workerUrl: options.workerUrl });
  const events: JobEvent[] = [];
  const jobs = new JobManager(engine, { remember: options.remember });
  jobs.subscribe((e) => events.push(e));
  const server = createServer({ jobs, auth: options.auth, info: { version: "test", target: "test", librandomx: "test" } });
  const listening = server.listen("127.0.0.1", 0);
  await engine.ready;
  return {
    base: `http://127.0.0.1:${listening.port}`,
    engine,
    jobs,
    events,
    async stop() {
      await listening.stop(true);
      await jobs.close();
      await engine.close();
    },
  };
}

/** A job whose first valid nonce from 0 is 377: about 8 s on one light-mode thread, always. */
export const SLOW_JOB = {
  miner: "07".repeat(32),
  nonceGroup: 7,
  challenge: "47".repeat(8),
  difficulty: "00a3d70a3d70a3d70a3d70a3d70a3d70a3d70a3d70a3d70a3d70a3d70a3d70a3",
};

export const jobPath = (j: { miner: string; nonceGroup: number | string; challenge: string; difficulty: string }) =>
  `/job/${j.miner}/${j.nonceGroup}/${j.challenge}/${j.difficulty}`;
