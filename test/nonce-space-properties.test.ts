// The nonce space under random sequences of take / give back / claim / undo from three workers, against a model
// kept here nonce by nonce: whatever the order, a nonce is never counted proven unless a proven claim holds it, never
// handed to two workers at once, never handed back to a worker it is barred from, the resume point moves forward
// except by an undo, and once everything left is searched by an honest worker, every nonce ends in exactly one
// proven claim. Seeded, so a failure names the sequence that shows it.
import { expect, test } from "bun:test";
import { NonceSpace, sessionName, type Bar, type Span, type Taker } from "../src/pool/nonce-space";
import { seededRandom } from "./support/seeded-random";

const LIMIT = 240;
const LEAST = 8n;
const SEQUENCES = 300;
const STEPS = 120;
const HOLD_MS = 50;

type State = { kind: "free" } | { kind: "out"; session: number } | { kind: "claimed"; session: number; proven: boolean };

class Model {
  readonly state: State[] = Array.from({ length: LIMIT }, () => ({ kind: "free" }) as State);
  /** Suspect bars per nonce: [names, until]. */
  readonly bars: { names: readonly string[]; until: number }[][] = Array.from({ length: LIMIT }, () => []);

  each(span: Span, fn: (n: number) => void): void {
    for (let n = Number(span.start); n < Number(span.start + span.count); n++) fn(n);
  }

  provenBelow(): number {
    let n = 0;
    while (n < LIMIT && this.state[n]!.kind === "claimed" && (this.state[n] as { proven: boolean }).proven) n++;
    return n;
  }

  counts(): { claimed: bigint; proven: bigint } {
    let claimed = 0n;
    let proven = 0n;
    for (const s of this.state) {
      if (s.kind !== "claimed") continue;
      claimed++;
      if (s.proven) proven++;
    }
    return { claimed, proven };
  }
}

const takerOf = (id: number): Taker => ({ id, names: [sessionName(id), `address ${id % 2}`] });

function runSequence(seed: number): void {
  const rnd = seededRandom(seed);
  const space = new NonceSpace(0n, LEAST, BigInt(LIMIT));
  const model = new Model();
  const held = new Map<number, Span[]>([[1, []], [2, []], [3, []]]);
  let now = 1_000;
  let resume = 0n;

  const check = (step: string) => {
    const where = `seed ${seed}, after ${step}`;
    // The resume point is the lowest nonce no proven claim holds.
    expect(space.provenBelow(), where).toBe(BigInt(model.provenBelow()));
    // Proven claims stay; an unproven one may have been put back to be searched again (all of it, while only part
    // may have been handed out yet).
    const searched = space.searched();
    const counted = model.counts();
    expect(searched.proven, where).toBe(counted.proven);
    expect(searched.claimed, where).toBeLessThanOrEqual(counted.claimed);
    if (space.exhausted()) expect(model.provenBelow(), `${where}: exhausted`).toBe(LIMIT);
  };

  for (let i = 0; i < STEPS; i++) {
    now += 10;
    const id = 1 + Math.floor(rnd() * 3);
    const spans = held.get(id)!;
    const move = rnd();
    if (move < 0.4) {
      const taker = takerOf(id);
      const span = space.take(taker, BigInt(1 + Math.floor(rnd() * 30)), { now, alone: rnd() < 0.2, reopened: ((r) => () => r)(rnd() < 0.5) });
      if (span === null) continue;
      model.each(span, (n) => {
        const s = model.state[n]!;
        expect(s.kind, `seed ${seed}: nonce ${n} handed out while another holds it`).not.toBe("out");
        if (s.kind === "claimed") expect(s.proven, `seed ${seed}: proven nonce ${n} handed out again`).toBe(false);
        for (const bar of model.bars[n]!) {
          const barred = bar.until > now && bar.names.some((name) => taker.names.includes(name));
          expect(barred, `seed ${seed}: nonce ${n} handed to ${taker.names.join(", ")} while barred from it`).toBe(false);
        }
        model.state[n] = { kind: "out", session: id };
      });
      spans.push(span);
      check(`take by ${id}`);
    } else if (spans.length > 0 && move < 0.6) {
      const span = spans.splice(Math.floor(rnd() * spans.length), 1)[0]!;
      const suspect = rnd() < 0.3;
      const bar: Bar | null = suspect ? { names: takerOf(id).names, until: now + HOLD_MS, kind: "suspect" } : null;
      space.giveBack(span, bar);
      model.each(span, (n) => {
        model.state[n] = { kind: "free" };
        if (bar !== null) model.bars[n]!.push(bar);
      });
      check(`give back by ${id}`);
    } else if (spans.length > 0 && move < 0.9) {
      const span = spans.splice(Math.floor(rnd() * spans.length), 1)[0]!;
      const proven = rnd() < 0.8;
      space.claim(span, id, { proven, strength: proven ? 1 : rnd() });
      model.each(span, (n) => (model.state[n] = { kind: "claimed", session: id, proven }));
      check(`claim by ${id}`);
    } else if (move >= 0.9) {
      const bar: Bar = { names: takerOf(id).names, until: now + HOLD_MS, kind: "suspect" };
      const undone = space.undo(id, bar);
      let proven = 0n;
      let all = 0n;
      model.state.forEach((s, n) => {
        if (s.kind !== "claimed" || s.session !== id) return;
        model.state[n] = { kind: "free" };
        model.bars[n]!.push(bar);
        all++;
        if (s.proven) proven++;
      });
      // Every proven claim of the worker comes back; an unproven one may already have been put back to search.
      expect(undone, `seed ${seed}: undo gives back every nonce the worker claimed`).toBeGreaterThanOrEqual(proven);
      expect(undone, `seed ${seed}: undo gives back only what the worker claimed`).toBeLessThanOrEqual(all);
      resume = space.provenBelow();
      check(`undo of ${id}`);
      continue;
    }
    // Outside an undo the resume point only moves forward.
    const after = space.provenBelow();
    expect(after, `seed ${seed}: the resume point moved back at step ${i}`).toBeGreaterThanOrEqual(resume);
    resume = after;
  }

  // Every worker gives back what it holds; an honest newcomer, past every bar, searches what is left.
  for (const spans of held.values()) {
    for (const span of spans) {
      space.giveBack(span);
      model.each(span, (n) => (model.state[n] = { kind: "free" }));
    }
  }
  now += HOLD_MS * 10;
  const honest = takerOf(9);
  for (let span = space.take(honest, 17n, { now, alone: true, reopened: () => true }); span !== null; span = space.take(honest, 17n, { now, alone: true, reopened: () => true })) {
    model.each(span, (n) => {
      const s = model.state[n]!;
      expect(s.kind === "claimed" && s.proven, `seed ${seed}: proven nonce ${n} searched again at the end`).toBe(false);
    });
    space.claim(span, 9, { proven: true, strength: 1 });
    model.each(span, (n) => (model.state[n] = { kind: "claimed", session: 9, proven: true }));
  }
  // Every unproven claim was searched again, every undone nonce too: each nonce in exactly one proven claim.
  expect(space.exhausted(), `seed ${seed}: exhausted at the end`).toBe(true);
  expect(model.provenBelow(), `seed ${seed}: every nonce proven at the end`).toBe(LIMIT);
  expect(space.searched(), `seed ${seed}: each nonce claimed once`).toEqual({ claimed: BigInt(LIMIT), proven: BigInt(LIMIT) });
  expect(space.provenBelow()).toBe(BigInt(LIMIT));
}

test(`the nonce space under ${SEQUENCES} random sequences of take, give back, claim and undo keeps its rules`, () => {
  for (let seed = 1; seed <= SEQUENCES; seed++) runSequence(seed);
});
