// Shares of credited ranges that were not checked as they came (the verifier past its budget), checked in the
// verifier's spare time: ranges wait here in turn, their nonces packed (8 bytes each), and go to the verifier a few
// at a time, so that its queue of spare checks stays short and the pool's memory small however far behind it is.
import type { K2powJob } from "../engine/k2pow-rule";
import type { Proof, Span } from "./nonce-space";
import type { ProofAudit } from "./proof-audit";

/** Ranges waiting at most: two ranges of each of 10,000 workers, about 13 MB. Past that a range stays a claim. */
export const MAX_LATER_RANGES = 20_000;
/** Spare checks handed to the verifier at once, at most: more wait here, packed. */
const SPARE_FEED = 1_000;

/** One credited range whose unchecked shares are to be checked, and what it proves once they pass. */
export interface LaterCheck<Owner> {
  /** Whose range it was, and of which job: for the caller, as it was given. */
  owner: Owner;
  job: K2powJob;
  range: Span;
  target: bigint;
  nonces: BigUint64Array;
  /** Its proof once every share is checked and passed. */
  proof: Proof;
}

export interface LaterChecksParts<Owner> {
  audit: ProofAudit;
  /** A range's checks are all in: null when every one passed, else the first nonce that failed. */
  done: (check: LaterCheck<Owner>, failed: bigint | null) => void;
  /** A check could not be made (the verifier closed or failed): the range stays a claim. */
  failed: (err: unknown) => void;
  /** A range no longer worth checking when its turn comes (its worker was caught since). */
  moot: (owner: Owner) => boolean;
  /** A rule broken in what `done` set off: told, rather than left an unhandled rejection. */
  broke: (err: unknown) => void;
}

export class LaterChecks<Owner> {
  private readonly queue: LaterCheck<Owner>[] = [];
  private head = 0;
  private inFlight = 0;
  private waitingShares = 0;
  private closed = false;
  /** Ranges left claims because `bound` waited already. */
  refused = 0;

  constructor(
    private readonly parts: LaterChecksParts<Owner>,
    private readonly bound = MAX_LATER_RANGES,
  ) {}

  /** Queues a range's checks; false when `bound` ranges wait already. */
  add(check: LaterCheck<Owner>): boolean {
    if (this.closed) return false;
    if (this.queue.length - this.head >= this.bound) {
      this.refused++;
      return false;
    }
    this.queue.push(check);
    this.waitingShares += check.nonces.length;
    this.pump();
    return true;
  }

  /** Shares waiting to be checked, on the verifier or here. */
  get shares(): number {
    return this.waitingShares;
  }

  /** Lets go of every range waiting: the pool is closing. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
  }

  private pump(): void {
    while (this.head < this.queue.length && this.inFlight < SPARE_FEED) {
      const check = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      // Sent ones are let go in bulk, not one shift at a time.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (this.parts.moot(check.owner)) this.waitingShares -= check.nonces.length;
      else this.send(check);
    }
  }

  private send(check: LaterCheck<Owner>): void {
    const nonces = [...check.nonces];
    this.inFlight += nonces.length;
    Promise.all(this.parts.audit.later(check.job, nonces, check.target))
      .then(
        (passed) => {
          const bad = passed.indexOf(false);
          this.parts.done(check, bad === -1 ? null : nonces[bad]!);
        },
        (err: unknown) => this.parts.failed(err),
      )
      .finally(() => {
        this.inFlight -= nonces.length;
        this.waitingShares -= nonces.length;
        this.pump();
      })
      .catch(this.parts.broke);
  }
}
