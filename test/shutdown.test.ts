// How serve, pool and join end: a signal or a failure, "shutting down", then "stopped" once everything is closed, or
// exiting anyway when closing takes over 2 s; either way the exit code says which ended it (0 a signal, 3 a failure).
import { expect, test } from "bun:test";
import { join } from "node:path";
import { startK2pow } from "./support/k2pow-process";
import { run } from "./support/run";

const child = join(import.meta.dir, "fixtures", "stopping-command.ts");
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

async function endedBySignal(closing: "prompt" | "hang") {
  const c = await startK2pow([process.execPath, child, "signal", closing], { env, ready: /INFO  running/ });
  c.proc.kill("SIGTERM");
  return { code: await c.exited, log: c.log() };
}

const endedByFailure = async (closing: "prompt" | "hang") => {
  const { code, stderr } = await run([process.execPath, child, "failure", closing], { env });
  return { code, log: stderr };
};

test("a signal: exit 0, after closing or when closing takes too long", async () => {
  const clean = await endedBySignal("prompt");
  expect(clean.code).toBe(0);
  expect(clean.log).toMatch(/INFO  shutting down\n.*INFO  stopped\n$/);
  expect(clean.log).not.toMatch(/ERROR|WARN/);

  const forced = await endedBySignal("hang");
  expect(forced.code).toBe(0);
  expect(forced.log).toMatch(/INFO  shutting down\n.*WARN  shutdown took over 2000 ms; exiting anyway\n$/);
});

test("a failure: logged, then exit 3, after closing or when closing takes too long", async () => {
  const closed = await endedByFailure("prompt");
  expect(closed.code).toBe(3);
  expect(closed.log).toMatch(/ERROR something it needs failed\n.*INFO  shutting down\n.*INFO  stopped\n$/);

  const forced = await endedByFailure("hang");
  expect(forced.code).toBe(3);
  expect(forced.log).toMatch(/ERROR something it needs failed\n.*INFO  shutting down\n.*WARN  shutdown took over 2000 ms; exiting anyway\n$/);
});
