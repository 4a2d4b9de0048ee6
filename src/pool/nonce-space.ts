// One job's nonce space, from its first range to its answer: what is handed out, what came back unfinished, and
// what workers reported searched with how much proof. A claim that is not proven is searched again, by another
// worker where there is one, before the job may end without a nonce. Knows nothing of connections or of time.
import { NONCE_LIMIT } from "../bytes/hex";

export interface Span {
  readonly start: bigint;
  readonly count: bigint;
}

/** How well a claim is proven: enough shares, every one checked; else its part of shares checked orders re-searches. */
export interface Proof {
  readonly proven: boolean;
  readonly strength: number;
}

/** A range a worker reported searched, and its evidence. */
export interface Claim extends Span, Proof {
  readonly session: number;
}

/** Nonces waiting to be handed out; `notFor` is the worker whose unproven claim they were. */
interface Waiting extends Span {
  readonly notFor: number | null;
}

export class NonceSpace {
  /** The lowest nonce never handed out. */
  private next: bigint;
  /** Lowest first. */
  private readonly waiting: Waiting[] = [];
  /** Spans handed out, by their first nonce. */
  private readonly inFlight = new Map<bigint, Span>();
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
   * About `size` nonces for `session` (at least `least`, and all that is left where less would remain): nonces that
   * came back first (lowest first), then fresh ones, and once the space is all handed out, the least proven claim of
   * another worker (or its own, when it is `alone` on the job). Null when nothing is left for it.
   */
  take(session: number, size: bigint, alone = false): Span | null {
    const want = size > this.least ? size : this.least;
    let i = this.waiting.findIndex((w) => w.notFor !== session);
    if (i === -1 && this.next >= this.limit && this.reopenLeastProven(session)) i = this.waiting.findIndex((w) => w.notFor !== session);
    // A worker alone on the job searches its own unproven claims again rather than the job stalling.
    if (i === -1 && alone && this.next >= this.limit) {
      i = this.waiting.findIndex((w) => w.notFor === session);
      if (i === -1 && this.reopenLeastProven(null)) i = 0;
    }
    let span: Span;
    if (i !== -1) {
      const w = this.waiting[i]!;
      span = { start: w.start, count: this.portion(w.count, want) };
      if (w.count > span.count) this.waiting[i] = { start: w.start + span.count, count: w.count - span.count, notFor: w.notFor };
      else this.waiting.splice(i, 1);
    } else if (this.next < this.limit) {
      span = { start: this.next, count: this.portion(this.limit - this.next, want) };
      this.next += span.count;
    } else {
      return null;
    }
    this.inFlight.set(span.start, span);
    return span;
  }

  /** A span handed out and not searched (its worker left, failed or was stopped): it is handed out again. */
  giveBack(span: Span): void {
    if (this.inFlight.delete(span.start)) this.wait({ start: span.start, count: span.count, notFor: null });
  }

  /** A span its worker reports searched, with how well that is proven. */
  claim(span: Span, session: number, proof: Proof): void {
    if (!this.inFlight.delete(span.start)) return;
    this.claims.push({ start: span.start, count: span.count, session, ...proof });
  }

  /** Everything `session` reported searched goes back to be searched by others; the nonces it had claimed. */
  undo(session: number): bigint {
    let nonces = 0n;
    for (let i = this.claims.length - 1; i >= 0; i--) {
      const claim = this.claims[i]!;
      if (claim.session !== session) continue;
      this.claims.splice(i, 1);
      this.wait({ start: claim.start, count: claim.count, notFor: null });
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
    this.wait({ start: claim!.start, count: claim!.count, notFor: claim!.session });
    return true;
  }

  /** `want` nonces out of `left`, or all of them where fewer than `least` would remain. */
  private portion(left: bigint, want: bigint): bigint {
    return left - want < this.least ? left : want;
  }

  private wait(span: Waiting): void {
    const at = this.waiting.findIndex((w) => w.start > span.start);
    this.waiting.splice(at === -1 ? this.waiting.length : at, 0, span);
  }
}
