// The pool's queue against one address that asks for too much: it holds at most its share (counted per IPv4
// address or IPv6 /64), and its jobs take turns with other addresses' instead of going first; one address alone is
// first in, first out. In-process, on SQLite in memory and a driven clock.
import { expect, test } from "bun:test";
import type { K2powJob } from "../src/engine/k2pow-rule";
import { JobQueue } from "../src/pool/job-queue";
import { JobStore } from "../src/pool/job-store";
import { ManualClock } from "./support/manual-clock";
import { fromHex } from "./support/vectors";

const HARD = "00000001" + "ff".repeat(28);
const miner = "4e".repeat(32);
const challenge = "1112131415161718";
const keyOf = (group: number) => `${miner}/${group}/${challenge}/${HARD}`;
const jobOf = (group: number): K2powJob => ({ miner: fromHex(miner), nonceGroup: group, challenge: fromHex(challenge), difficulty: fromHex(HARD) });

function queue(size = 100) {
  const store = new JobStore(":memory:");
  return new JobQueue(store, size, new ManualClock(), () => {});
}

/** Runs the queue's head to its end, as the coordinator does, and says which group it was. */
function runNext(q: JobQueue): number {
  const head = q.head()!;
  q.started(head);
  q.finish(head.key, { nonce: 1n });
  return head.job.nonceGroup;
}

test("one address holds at most its share; others still queue, and a job it queued is no one's to hold", () => {
  const q = queue();
  const a = { address: "127.0.0.2", share: 3 };
  for (const group of [1, 2, 3]) expect(q.request(keyOf(group), jobOf(group), a)).toEqual({ kind: "accepted" });
  expect(q.request(keyOf(4), jobOf(4), a)).toEqual({
    kind: "busy",
    cause: "queue-share",
    reason: "this address holds 3 jobs in the pool's queue, its share (--queue-per-address)",
  });
  // Polling a job it has queued is not a new one.
  expect(q.request(keyOf(2), jobOf(2), a)).toEqual({ kind: "accepted" });
  const b = { address: "127.0.0.1", share: 3 };
  expect(q.request(keyOf(4), jobOf(4), b)).toEqual({ kind: "accepted" });
  expect(q.request(keyOf(1), jobOf(1), b)).toEqual({ kind: "accepted" });
  // The same machine over IPv4-mapped IPv6 is the same address; a job leaving frees its place.
  expect(q.request(keyOf(5), jobOf(5), { address: "::ffff:127.0.0.2", share: 3 })).toMatchObject({ cause: "queue-share" });
  expect(q.cancel(keyOf(3))).toBe(true);
  expect(q.request(keyOf(5), jobOf(5), a)).toEqual({ kind: "accepted" });
});

test("an IPv6 host counts as its /64, so it cannot step round its share by changing address", () => {
  const q = queue();
  const share = 2;
  expect(q.request(keyOf(1), jobOf(1), { address: "2001:db8:1:2::1", share })).toEqual({ kind: "accepted" });
  expect(q.request(keyOf(2), jobOf(2), { address: "2001:db8:1:2::ffff", share })).toEqual({ kind: "accepted" });
  expect(q.request(keyOf(3), jobOf(3), { address: "2001:db8:1:2:abcd::9", share })).toMatchObject({ cause: "queue-share" });
  expect(q.request(keyOf(3), jobOf(3), { address: "2001:db8:1:3::1", share })).toEqual({ kind: "accepted" });
});

test("a full queue is full for everyone, and says so", () => {
  const q = queue(2);
  q.request(keyOf(1), jobOf(1), { address: "10.0.0.1", share: 5 });
  q.request(keyOf(2), jobOf(2), { address: "10.0.0.2", share: 5 });
  expect(q.request(keyOf(3), jobOf(3), { address: "10.0.0.3", share: 5 })).toEqual({
    kind: "busy",
    cause: "queue-full",
    reason: "the pool's queue is full (2 jobs)",
  });
});

test("addresses take turns: the next job is the oldest of the address served least recently", () => {
  const q = queue();
  const junk = { address: "127.0.0.2", share: 100 };
  const honest = { address: "127.0.0.1", share: 100 };
  for (let group = 0; group < 50; group++) q.request(keyOf(group), jobOf(group), junk);
  const first = q.head()!;
  q.started(first);
  // Arriving behind 49 junk jobs, the honest address's jobs go next, one at a time between the junk's.
  for (const group of [100, 101, 102]) q.request(keyOf(group), jobOf(group), honest);
  expect(q.head()).toBe(first); // the running job stays the head until it leaves
  q.finish(first.key, { nonce: 1n });
  expect([runNext(q), runNext(q), runNext(q), runNext(q), runNext(q), runNext(q)]).toEqual([100, 1, 101, 2, 102, 3]);
  // A newcomer goes ahead of everyone who has been served.
  q.request(keyOf(200), jobOf(200), { address: "10.9.9.9", share: 100 });
  expect(runNext(q)).toBe(200);
  expect(runNext(q)).toBe(4);
});

test("one address alone, or jobs queued in-process, are first in, first out", () => {
  const q = queue();
  for (const group of [5, 3, 9, 1]) q.request(keyOf(group), jobOf(group), { address: "127.0.0.1", share: 10 });
  expect([runNext(q), runNext(q), runNext(q), runNext(q)]).toEqual([5, 3, 9, 1]);
  for (const group of [7, 8, 2]) q.request(keyOf(group), jobOf(group));
  expect([runNext(q), runNext(q), runNext(q)]).toEqual([7, 8, 2]);
});
