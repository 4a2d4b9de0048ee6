// One job's nonce space, from its first range to its answer: what is handed out, what came back unfinished, and
// what workers reported searched with how much proof. A claim that is not proven is searched again, by another
// worker where there is one, before the job may end without a nonce. Nonces taken back from a worker caught lying or
// gone silent are kept from it, under any connection that shares its name or address, for a while. Knows nothing of
// connections, and of time only the `now` it is told.
import { NONCE_LIMIT } from "../bytes/hex";

export interface Span {
  readonly start: bigint;
  readonly count: bigint;
}

/** How well a claim is proven (proofOf): enough shares, every one checked; else its part of shares checked (strength, 1 when every one was) orders re-searches. */
export interface Proof {
  readonly proven: boolean;
  readonly strength: number;
}

/** A range a worker reported searched, and its evidence. */
export interface Claim extends Barred, Proof {
  readonly session: number;
}

/** Who asks for nonces: its session, and every name it goes by (WorkerSession.names, its session's among them). */
export interface Taker {
  /** Its session. */
  readonly id: number;
  readonly names: readonly string[];
}

/**
 * Nonces kept from whoever goes by one of `names` until `until` (ms since the epoch). "unproven": a claim searched
 * again, which its own worker may take when it is alone on the job; "suspect": taken back from a worker caught or
 * gone silent, which no connection of the same name or address gets back while the bar holds.
 */
export interface Bar {
  readonly names: readonly string[];
  readonly until: number;
  readonly kind: "unproven" | "suspect";
}

/** How a worker may take nonces now. */
export interface Asking {
  now: number;
  /** Alone on the job: it may search its own unproven claims again rather than the job stalling. */
  alone: boolean;
  /**
   * It may take nonces that came back while fresh ones remain: reopened ones go to trusted workers first. Asked only
   * when some came back (it may walk the fleet).
   */
  reopened: () => boolean;
}

/** Nonces and whom they are kept from: bars stay with the nonces wherever they go, until each ends. */
interface Barred extends Span {
  readonly bars: readonly Bar[];
}

export class NonceSpace {
  /** The lowest nonce never handed out. */
  private next: bigint;
  /** Lowest first. */
  private readonly waiting: Barred[] = [];
  /** Spans handed out, by their first nonce. */
  private readonly inFlight = new Map<bigint, Barred>();
  private readonly claims: Claim[] = [];

  /** `least`: no span handed out, and so none given back or claimed, is smaller (unless the whole space is). */
  constructor(
    from: bigint,
    private readonly least: bigint,
    readonly limit: bigint = NONCE_LIMIT,
  ) {
    this.next = from;
  }

  /**
   * About `size` nonces for `taker` (at least `least`, and all that is left where less would remain): nonces that came
   * back first (lowest first; only when `asking.reopened`, or once fresh ones are gone), then fresh ones, and once the
   * space is all handed out, the least proven claim of another worker (or its own, when it is alone on the job).
   * Never nonces barred from it. Null when nothing is left for it.
   */
  take(taker: Taker, size: bigint, asking: Asking): Span | null {
    const want = size > this.least ? size : this.least;
    const spent = this.next >= this.limit;
    const free = (w: Barred) => !w.bars.some((bar) => holds(bar, taker, asking.now));
    let i = spent || (this.waiting.length > 0 && asking.reopened()) ? this.waiting.findIndex(free) : -1;
    if (i === -1 && spent && this.reopenLeastProven(taker.id)) i = this.waiting.findIndex(free);
    if (i === -1 && spent && asking.alone) {
      const own = (w: Barred) => !w.bars.some((bar) => bar.kind === "suspect" && holds(bar, taker, asking.now));
      i = this.waiting.findIndex(own);
      if (i === -1 && this.reopenLeastProven(null)) i = this.waiting.findIndex(own);
    }
    let span: Barred;
    if (i !== -1) {
      const w = this.waiting[i]!;
      span = { start: w.start, count: this.portion(w.count, want), bars: w.bars };
      if (w.count > span.count) this.waiting[i] = { start: w.start + span.count, count: w.count - span.count, bars: w.bars };
      else this.waiting.splice(i, 1);
    } else if (!spent) {
      span = { start: this.next, count: this.portion(this.limit - this.next, want), bars: [] };
      this.next += span.count;
    } else {
      return null;
    }
    this.inFlight.set(span.start, span);
    return { start: span.start, count: span.count };
  }

  /** A span handed out and not searched (its worker left, failed or was stopped): it is handed out again. */
  giveBack(span: Span, bar: Bar | null = null): void {
    const { bars } = this.land(span, "given back");
    this.wait({ start: span.start, count: span.count, bars: bar === null ? bars : [...bars, bar] });
  }

  /** A span its worker reports searched, with how well that is proven. */
  claim(span: Span, session: number, proof: Proof): void {
    const { bars } = this.land(span, "claimed");
    this.claims.push({ start: span.start, count: span.count, bars, session, ...proof });
  }

  /**
   * The proof of `session`'s claim of `span` once every share of it was checked (after it was credited): false when
   * the claim is no longer there (undone, or put back to be searched again).
   */
  prove(span: Span, session: number, proof: Proof): boolean {
    // From the newest: a range is proven soon after it was claimed, and claims are kept in the order they came.
    const i = this.claims.findLastIndex((c) => c.start === span.start && c.count === span.count && c.session === session);
    if (i === -1) return false;
    this.claims[i] = { ...this.claims[i]!, ...proof };
    return true;
  }

  /**
   * Everything `session` reported searched goes back to be searched by others, under `bar`; the nonces it had claimed.
   * Its claims already put back to be searched again (unproven) take the bar too, wherever they are now: otherwise a
   * connection sharing its name or address could be handed them back.
   */
  undo(session: number, bar: Bar): bigint {
    const name = sessionName(session);
    const fromIt = (span: Barred) => span.bars.some((b) => b.kind === "unproven" && b.names.includes(name));
    for (const [i, w] of this.waiting.entries()) if (fromIt(w)) this.waiting[i] = { ...w, bars: [...w.bars, bar] };
    for (const [start, out] of this.inFlight) if (fromIt(out)) this.inFlight.set(start, { ...out, bars: [...out.bars, bar] });
    for (const [i, claim] of this.claims.entries()) if (fromIt(claim)) this.claims[i] = { ...claim, bars: [...claim.bars, bar] };
    let nonces = 0n;
    for (let i = this.claims.length - 1; i >= 0; i--) {
      const claim = this.claims[i]!;
      if (claim.session !== session) continue;
      this.claims.splice(i, 1);
      this.wait({ start: claim.start, count: claim.count, bars: [...claim.bars, bar] });
      nonces += claim.count;
    }
    return nonces;
  }

  /** True when every nonce was searched and every claim proven: only then may the job end without a nonce. */
  exhausted(): boolean {
    return this.next >= this.limit && this.waiting.length === 0 && this.inFlight.size === 0 && this.claims.every((c) => c.proven);
  }

  /** Nonces reported searched, and of those, proven. */
  searched(): { claimed: bigint; proven: bigint } {
    let claimed = 0n;
    let proven = 0n;
    for (const claim of this.claims) {
      claimed += claim.count;
      if (claim.proven) proven += claim.count;
    }
    return { claimed, proven };
  }

  /** Every nonce below this one is proven searched. */
  provenBelow(): bigint {
    let low = this.next;
    for (const span of [...this.waiting, ...this.inFlight.values()]) if (span.start < low) low = span.start;
    for (const claim of this.claims) if (!claim.proven && claim.start < low) low = claim.start;
    return low;
  }

  /** Puts the least proven claim of a worker other than `session` (any, for null) back to be searched; false if none. */
  private reopenLeastProven(session: number | null): boolean {
    let least = -1;
    for (const [i, claim] of this.claims.entries()) {
      if (claim.session === session || claim.proven) continue;
      if (least === -1 || claim.strength < this.claims[least]!.strength) least = i;
    }
    if (least === -1) return false;
    const [claim] = this.claims.splice(least, 1);
    const unproven: Bar = { names: [sessionName(claim!.session)], until: Infinity, kind: "unproven" };
    this.wait({ start: claim!.start, count: claim!.count, bars: [...claim!.bars, unproven] });
    return true;
  }

  /** A span handed out comes back, once: anything else is a bug in whoever hands spans back. */
  private land(span: Span, how: string): Barred {
    const out = this.inFlight.get(span.start);
    if (out === undefined || out.count !== span.count) throw new Error(`nonces ${span.start} (+${span.count}) ${how} but not handed out`);
    this.inFlight.delete(span.start);
    return out;
  }

  /** `want` nonces out of `left`, or all of them where fewer than `least` would remain. */
  private portion(left: bigint, want: bigint): bigint {
    return left - want < this.least ? left : want;
  }

  private wait(span: Barred): void {
    const at = this.waiting.findIndex((w) => w.start > span.start);
    this.waiting.splice(at === -1 ? this.waiting.length : at, 0, span);
  }
}

/** The name a session goes by among a worker's names (WorkerSession.names). */
export const sessionName = (session: number) => `session ${session}`;

function holds(bar: Bar, taker: Taker, now: number): boolean {
  return now < bar.until && bar.names.some((name) => taker.names.includes(name));
}
