// The pool's queue when its database file goes from under it, at the defaults (a look every 2 s) on a driven clock,
// with real SQLite files: the journal the lost file leaves behind is never replayed into the new one, someone's file
// put in its place is never written into (even while it cannot be moved aside), answers are served from memory
// meanwhile, and the queue closes the database it made.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jobOfKey } from "../src/jobs/job-params";
import { JobQueue, type QueueEvent } from "../src/pool/job-queue";
import { JobStore } from "../src/pool/job-store";
import { ManualClock } from "./support/manual-clock";

const EASY = "0f" + "ff".repeat(31);
const keyOf = (group: number) => `${"9d".repeat(32)}/${group}/0a0b0c0d0e0f1011/${EASY}`;
const WATCH_MS = 2000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "k2pow-db-lost-"));
});
afterAll(() => {
  Bun.spawnSync(["chattr", "-R", "-i", dir]);
  rmSync(dir, { recursive: true, force: true });
});

function queueAt(path: string) {
  const clock = new ManualClock();
  const events: QueueEvent[] = [];
  const queue = new JobQueue(new JobStore(path), 10, clock, (e) => events.push(e));
  const ask = (group: number) => queue.request(keyOf(group), jobOfKey(keyOf(group))!);
  return { clock, events, queue, ask };
}

function rows(path: string): { answers: unknown[]; queue: unknown[]; integrity: unknown } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      answers: db.query("SELECT key, nonce, error FROM answers ORDER BY key").all(),
      queue: db.query("SELECT key, resume_from FROM queue ORDER BY seq").all(),
      integrity: db.query("PRAGMA integrity_check").get(),
    };
  } finally {
    db.close();
  }
}

test("only the main file deleted: its journal left behind is removed, not replayed into the new database", () => {
  const path = join(dir, "main-only.db");
  const { clock, events, queue, ask } = queueAt(path);
  expect(ask(1)).toEqual({ kind: "accepted" });
  queue.finish(keyOf(1), { nonce: 7n });
  expect(ask(2)).toEqual({ kind: "accepted" });
  // The journal holds recent pages of the old file; the main file alone goes, as `rm pool.db` does.
  expect(existsSync(`${path}-wal`)).toBe(true);
  rmSync(path);

  clock.advance(WATCH_MS);
  expect(events).toContainEqual({ type: "store-lost", reason: `the database file ${path} was deleted`, kept: { queued: 1, answers: 1, fromFile: 1 } });
  expect(events).toContainEqual({ type: "store-recovered", written: 1 });
  expect(queue.health()).toMatchObject({ ok: true, unsavedAnswers: 0, lost: { restored: 1 } });
  expect(ask(1)).toEqual({ kind: "done", nonce: 7n });
  expect(ask(3)).toEqual({ kind: "accepted" });
  queue.close();
  // Closed by the queue that made it: its journal is checkpointed and gone.
  expect(existsSync(`${path}-wal`)).toBe(false);
  expect(rows(path)).toEqual({
    answers: [{ key: keyOf(1), nonce: "7", error: null }],
    queue: [
      { key: keyOf(2), resume_from: "0" },
      { key: keyOf(3), resume_from: "0" },
    ],
    integrity: { integrity_check: "ok" },
  });
});

test("a file put in its place that cannot be moved aside: never written into, answers served from memory, a cancel stays cancelled", () => {
  const path = join(dir, "stuck.db");
  const { clock, events, queue, ask } = queueAt(path);
  for (const group of [1, 2]) {
    ask(group);
    queue.finish(keyOf(group), { nonce: BigInt(group) });
  }
  ask(3);
  const other = join(dir, "someone-elses.db");
  const foreign = new Database(other);
  foreign.run("CREATE TABLE notes (text TEXT)");
  foreign.run("INSERT INTO notes VALUES ('not the pool''s')");
  foreign.close();
  renameSync(other, path);
  // Immutable: even root cannot move it, so the queue must wait rather than open it.
  expect(Bun.spawnSync(["chattr", "+i", path]).exitCode).toBe(0);

  clock.advance(WATCH_MS);
  const reason = `the database file ${path} was replaced by another file`;
  expect(events).toContainEqual({ type: "store-lost", reason, kept: { queued: 1, answers: 2, fromFile: 2 } });
  expect(events.filter((e) => e.type === "store-failed")).toEqual([{ type: "store-failed", error: expect.stringMatching(/not permitted/), unsaved: 2 }]);
  expect(queue.health()).toMatchObject({ ok: false, unsavedAnswers: 2, lost: { reason, restored: 0 } });
  // Meanwhile: answers from memory, a queued job still queued, new jobs busy, a cancelled answer forgotten for good.
  expect(ask(1)).toEqual({ kind: "done", nonce: 1n });
  expect(ask(3)).toEqual({ kind: "accepted" });
  expect(ask(4)).toMatchObject({ kind: "busy" });
  expect(queue.cancel(keyOf(2))).toBe(true);
  expect(ask(2)).toMatchObject({ kind: "busy" });
  clock.advance(WATCH_MS * 3);
  const untouched = new Database(path, { readonly: true });
  expect(untouched.query("SELECT name FROM sqlite_master").all()).toEqual([{ name: "notes" }]);
  untouched.close();

  expect(Bun.spawnSync(["chattr", "-i", path]).exitCode).toBe(0);
  clock.advance(WATCH_MS);
  const aside = readdirSync(dir).filter((f) => f.startsWith("stuck.db.replaced-"));
  expect(aside).toHaveLength(1);
  expect(events).toContainEqual({ type: "store-moved-aside", path, movedTo: join(dir, aside[0]!) });
  expect(events.at(-1)).toEqual({ type: "store-recovered", written: 1 });
  expect(queue.health()).toMatchObject({ ok: true, error: null, unsavedAnswers: 0, lost: { reason, restored: 1 } });
  expect(ask(2)).toEqual({ kind: "accepted" });
  queue.close();

  const kept = new Database(join(dir, aside[0]!), { readonly: true });
  expect(kept.query("SELECT name FROM sqlite_master").all()).toEqual([{ name: "notes" }]);
  kept.close();
  expect(rows(path)).toMatchObject({
    answers: [{ key: keyOf(1), nonce: "1", error: null }],
    queue: [{ key: keyOf(3) }, { key: keyOf(2) }],
    integrity: { integrity_check: "ok" },
  });
});
