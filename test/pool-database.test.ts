// The pool when its database fails mid-job: a real SQLite file on a small tmpfs that fills up under it (the kernel
// refuses to remount a file system read-only while a file on it is open for writing: EBUSY), then has room again. A nonce found meanwhile is answered from memory and written once the database works;
// new jobs get 429 (post-service retries it) until then; nothing a client was told is lost.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../src/engine/engine";
import { hashInput, meetsDifficulty, type K2powJob } from "../src/engine/k2pow-rule";
import { Coordinator, type PoolEvent } from "../src/pool/coordinator";
import { JobStore } from "../src/pool/job-store";
import { PROTOCOL_VERSION, type PoolMessage, type Work } from "../src/pool/protocol";
import { Verifier } from "../src/pool/verifier";
import { ManualClock } from "./support/manual-clock";
import { fromHex } from "./support/vectors";

const EASY = "0f" + "ff".repeat(31);
const miner = "9d".repeat(32);
const challenge = "0a0b0c0d0e0f1011";
const keyOf = (group: number) => `${miner}/${group}/${challenge}/${EASY}`;
const jobOf = (group: number): K2powJob => ({ miner: fromHex(miner), nonceGroup: group, challenge: fromHex(challenge), difficulty: fromHex(EASY) });

let engine: Engine;
let verifier: Verifier;
let dir: string;
beforeAll(async () => {
  engine = new Engine({ mode: "light", threads: 1 });
  verifier = new Verifier({ mode: "light", threads: 1 });
  await Promise.all([engine.ready, verifier.ready]);
  dir = mkdtempSync(join(tmpdir(), "k2pow-db-fault-"));
  mount(["-t", "tmpfs", "-o", "size=16m", "tmpfs", dir]);
});
afterAll(async () => {
  await Promise.all([engine?.close(), verifier?.close()]);
  Bun.spawnSync(["umount", "--lazy", dir]);
  rmSync(dir, { recursive: true, force: true });
});

function mount(args: string[]): void {
  const done = Bun.spawnSync(["mount", ...args]);
  if (done.exitCode !== 0) throw new Error(`mount ${args.join(" ")} failed (the test needs root): ${done.stderr.toString().trim()}`);
}

test("a database whose disk fills up mid-job: the found nonce is answered from memory, new jobs get 429, and all is written once it works again", async () => {
  const path = join(dir, "pool.db");
  const events: PoolEvent[] = [];
  const clock = new ManualClock();
  const c = new Coordinator({ store: new JobStore(path), checker: verifier, queueSize: 10, jobTimeoutSeconds: 0, clock });
  c.subscribe((e) => events.push(e));
  c.start();
  try {
    const sent: PoolMessage[] = [];
    const id = c.join(
      { remote: "test", address: "test", send: (m) => sent.push(m), close: () => {}, holdOff: () => {} },
      { type: "hello", protocol: PROTOCOL_VERSION, token: "", name: "w", version: "test", threads: 1, mode: "light" },
    );
    expect(c.request(keyOf(1), jobOf(1))).toEqual({ kind: "accepted" });
    const work = sent.find((m): m is Work => m.type === "work")!;

    const filler = join(dir, "filler");
    expect(Bun.spawnSync(["dd", "if=/dev/zero", `of=${filler}`, "bs=1M", "count=64"]).exitCode).not.toBe(0); // disk full
    let nonce = BigInt(work.start);
    while (!meetsDifficulty(engine.hash(hashInput(jobOf(1), nonce)), fromHex(EASY))) nonce++;
    c.receive(id, { type: "found", range: work.range, nonce: nonce.toString() });
    await verifier.idle();
    await Bun.sleep(1); // the coordinator's own step on the check's answer

    expect(c.request(keyOf(1), jobOf(1))).toEqual({ kind: "done", nonce });
    expect(c.request(keyOf(2), jobOf(2))).toEqual({ kind: "busy", reason: "the pool cannot write its database" });
    const failing = c.status().database;
    expect(failing).toMatchObject({ ok: false, unsavedAnswers: 1 });
    expect(failing.error).toMatch(/full|disk I\/O/i);
    expect(events.filter((e) => e.type === "store-failed")).toHaveLength(1);

    rmSync(filler);
    clock.advance(5000);
    expect(c.status().database).toEqual({ ok: true, error: null, unsavedAnswers: 0, lost: null });
    expect(events).toContainEqual({ type: "store-recovered", written: 1 });
    expect(c.request(keyOf(2), jobOf(2))).toEqual({ kind: "accepted" });
  } finally {
    c.close();
  }
  // What the pool answered is in the file: a restarted pool answers it at once.
  const reopened = new JobStore(path);
  expect(reopened.answer(keyOf(1))).toEqual({ nonce: expect.any(BigInt) });
  expect(reopened.queued().map((q) => q.key)).toEqual([keyOf(2)]);
  reopened.close();
}, 60_000);
