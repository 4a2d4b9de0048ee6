// The worker's side of the pool before it connects: the clear-text rule is asked again before every connection, not
// only at start, so a name that comes to resolve to a public address never gets the token in clear text. A real
// `k2pow pool` on loopback; the member's engine is a stand-in, since no job is queued and nothing is searched.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { clearTextRefusal } from "../src/join/clear-text-rule";
import { PoolMember, type MemberEvent } from "../src/join/pool-member";
import { startK2pow } from "./support/k2pow-process";
import { until } from "./support/until";

const main = join(import.meta.dir, "..", "src", "main.ts");
const TOKEN = "pool-member-token-0123456789abcdef";
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_WORKER_TOKEN: TOKEN };

const idleEngine = {
  threads: 1,
  mode: "light" as const,
  search: () => Promise.reject(new Error("no job was queued: nothing to search")),
};

test("the clear-text rule: loopback and private addresses may get the token, a public one never", async () => {
  expect(await clearTextRefusal("127.0.0.1")).toBeNull();
  expect(await clearTextRefusal("10.1.2.3")).toBeNull();
  expect(await clearTextRefusal("203.0.113.7")).toMatch(/^not sending the worker token in clear text to 203\.0\.113\.7, which is neither this machine nor a private network/);
});

test("a connection the rule refuses is not made, nothing is sent, and the next attempt asks again", async () => {
  const pool = await startK2pow([process.execPath, main, "pool", "-b", "127.0.0.1:0", "--check-mode", "light", "--db", ":memory:"], { env });
  const events: MemberEvent[] = [];
  let asked = 0;
  // As if the pool's name resolved to a public address at first, and to this machine from the second try on.
  const beforeConnect = async () => (++asked === 1 ? "not sending the worker token in clear text to 203.0.113.7" : null);
  const member = new PoolMember({
    poolUrl: pool.base,
    token: TOKEN,
    name: "gated",
    version: "test",
    engine: idleEngine,
    beforeConnect,
    backoffMs: { first: 50, max: 100 },
    onEvent: (e) => events.push(e),
  });
  const running = member.run();
  try {
    await until("the member to connect", async () => events.some((e) => e.type === "connected"), 30_000);
    expect(events[0]).toMatchObject({ type: "held-back", reason: "not sending the worker token in clear text to 203.0.113.7" });
    expect(events.findIndex((e) => e.type === "connected")).toBe(1);
    expect(asked).toBe(2);
    // The pool saw one connection only: the held-back attempt never reached it.
    expect(pool.log()).not.toMatch(/worker refused/);
    const status = (await (await fetch(`${pool.base}/status`)).json()) as { workers: { name: string }[] };
    expect(status.workers.map((w) => w.name)).toEqual(["gated"]);
  } finally {
    member.stop();
    await running;
    pool.proc.kill("SIGTERM");
    await pool.proc.exited;
  }
});
