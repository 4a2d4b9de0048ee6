// The engine in fast mode: the 2 GiB dataset loaded from the tests' shared dataset file (made once before the run,
// test/support/shared-dataset.ts; test/dataset-file.test.ts is about the build and the file), then the reference
// vectors and real searches on it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Engine } from "../src/engine/engine";
import { hashInput } from "../src/engine/k2pow-rule";
import { thpSetting, hugetlbFree } from "../src/engine/resources";
import { failureOf } from "./support/failure";
import { sharedDatasetFile } from "./support/shared-dataset";
import { hashVectors, jobOf, smallestVectors, toHex, UNREACHABLE } from "./support/vectors";

let engine: Engine;
const notes: string[] = [];

beforeAll(async () => {
  engine = new Engine({ mode: "fast", threads: 2, datasetFile: await sharedDatasetFile(), onNote: (m) => notes.push(m) });
  await engine.ready;
  console.log(notes.join("\n"));
}, 240_000);

afterAll(() => engine?.close());

describe("fast mode", () => {
  test("has the whole dataset, read on every thread, and says which pages it got", () => {
    const s = engine.status();
    expect(s.mode).toBe("fast");
    expect(s.dataset!.itemsBuilt).toBe(s.dataset!.items);
    expect(s.dataset!.items).toBe(34_078_719);
    expect(s.dataset!.seconds).toBeGreaterThan(0);
    expect(s.dataset!.source).toBe("loaded");
    expect(notes.some((n) => n.startsWith("dataset loaded from"))).toBe(true);
    // The default takes the best page size this machine offers.
    const expected = hugetlbFree().bytes >= 2080 * 1024 * 1024 ? "hugetlb" : thpSetting() === "never" ? "plain" : "thp";
    expect(s.pages).toBe(expected);
    if (s.pages === "thp") expect(s.hugePageBytes!).toBeGreaterThan(1024 * 1024 * 1024);
  });

  test.each(hashVectors.map((v) => [v.nonce, v] as const))("hash of nonce %s matches the vector", (nonce, v) => {
    expect(toHex(engine.hash(hashInput(jobOf(v, UNREACHABLE), BigInt(nonce))))).toBe(v.hash);
  });

  test.each(smallestVectors.map((v) => [v.nonce_group, v] as const))(
    "a search for the vector of group %d returns a valid nonce, no smaller than the smallest",
    async (_group, v) => {
      const job = jobOf(v, v.difficulty);
      const { nonce } = await engine.search(job);
      expect(engine.verify(job, nonce)).toBe(true);
      expect(nonce >= BigInt(v.smallest_valid_nonce)).toBe(true);
    },
  );

  test.each(smallestVectors.map((v) => [v.smallest_valid_nonce, v] as const))(
    "on two threads, nonces 0..%s hold exactly one valid nonce: the smallest",
    async (smallest, v) => {
      const job = jobOf(v, v.difficulty);
      const last = BigInt(smallest);
      expect((await engine.search(job, { start: 0n, count: last + 1n })).nonce).toBe(last);
      if (last > 0n) {
        const failure = await failureOf(engine.search(job, { start: 0n, count: last }));
        expect(failure.message).toBe(`no valid nonce in nonces 0..${last - 1n}`);
      }
    },
  );
});
