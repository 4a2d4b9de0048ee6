// Who may become a worker of the pool. Connections that have not said hello yet cost the pool and prove nothing, so
// they are capped in all and per address, and so are admitted workers; a hello's token is checked here, in constant
// time; and an address that sent a wrong token, or whose worker sent false work or broken messages, is held off for
// a while that doubles with each offence, so guessing the token or lying again after a reconnect costs the pool
// little. Pure logic on an injected clock.
import { createHash, timingSafeEqual } from "node:crypto";
import { addressKey } from "../net/address-scope";
import { HOLD_OFF_LIMITS, HoldOffs } from "../net/hold-offs";
import { CLOSE, PROTOCOL_VERSION, type Hello } from "./protocol";

export interface AdmissionLimits {
  /** Connections without hello, from everywhere. */
  maxPending: number;
  /** Connections without hello, from one address (an IPv6 /64). */
  maxPendingPerAddress: number;
  /** Hold-offs (src/net/hold-offs.ts): the first; each further offence doubles it, up to maxPenaltyMs. */
  firstPenaltyMs: number;
  maxPenaltyMs: number;
  /** An address's offences are forgotten this long after its last one. */
  forgetMs: number;
  /** Addresses remembered at most; past that the longest quiet is forgotten first. */
  maxTracked: number;
  /** Admitted workers from one address, and from everywhere: each holds a range, so a token holder's count is bounded. */
  maxWorkersPerAddress: number;
  maxWorkers: number;
}

export const DEFAULT_LIMITS: AdmissionLimits = {
  maxPending: 256,
  maxPendingPerAddress: 8,
  ...HOLD_OFF_LIMITS,
  maxWorkersPerAddress: 64,
  maxWorkers: 4096,
};

export type Offence = "token" | "work";
/** Refused: why, and for a crowd of connections waiting for hello, whether it is this address's or the pool's. */
export type Verdict = { ok: true } | { ok: false; code: number; reason: string; crowd?: "address" | "pool" };

const ADMITTED: Verdict = { ok: true };

export class Admission {
  private readonly limits: AdmissionLimits;
  private readonly tokenDigest: Buffer;
  private readonly pendingBy = new Map<string, number>();
  private pendingTotal = 0;
  private readonly workersBy = new Map<string, number>();
  private workersTotal = 0;
  private readonly holdOffs: HoldOffs<Offence>;

  constructor(
    token: string,
    now: () => number,
    limits: Partial<AdmissionLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.tokenDigest = digest(token);
    this.holdOffs = new HoldOffs(now, this.limits);
  }

  /** A new connection: counted as pending until hello() or abandon(), or refused at once past a cap. */
  open(address: string): Verdict {
    const key = addressKey(address);
    const mine = this.pendingBy.get(key) ?? 0;
    if (this.pendingTotal >= this.limits.maxPending) {
      return { ok: false, code: CLOSE.crowded, reason: `the pool has ${this.pendingTotal} connections waiting for hello; retry later`, crowd: "pool" };
    }
    if (mine >= this.limits.maxPendingPerAddress) {
      return { ok: false, code: CLOSE.crowded, reason: `${mine} connections from this address are waiting for hello; retry later`, crowd: "address" };
    }
    this.pendingBy.set(key, mine + 1);
    this.pendingTotal++;
    return ADMITTED;
  }

  /** The pending connection's hello: admitted, or refused while its address is held off, or for its protocol or token. */
  hello(address: string, hello: Pick<Hello, "protocol" | "token">): Verdict {
    const key = addressKey(address);
    this.settle(key);
    const held = this.holdOffs.heldOff(key);
    if (held !== null) {
      const why = held.last === "token" ? "too many wrong tokens from this address" : "a worker from this address sent false work or broken messages";
      return { ok: false, code: CLOSE.heldOff, reason: `${why}; wait ${held.seconds} s` };
    }
    if (hello.protocol !== PROTOCOL_VERSION) {
      return { ok: false, code: CLOSE.refused, reason: `protocol ${hello.protocol} is not supported; this pool speaks ${PROTOCOL_VERSION}` };
    }
    if (!timingSafeEqual(digest(hello.token), this.tokenDigest)) {
      this.holdOffs.offend(key, "token");
      return { ok: false, code: CLOSE.refused, reason: "wrong worker token" };
    }
    const mine = this.workersBy.get(key) ?? 0;
    if (mine >= this.limits.maxWorkersPerAddress) {
      return { ok: false, code: CLOSE.crowded, reason: `${mine} workers from this address are connected already; retry later` };
    }
    if (this.workersTotal >= this.limits.maxWorkers) {
      return { ok: false, code: CLOSE.crowded, reason: `the pool has ${this.workersTotal} workers connected; retry later` };
    }
    this.workersBy.set(key, mine + 1);
    this.workersTotal++;
    return ADMITTED;
  }

  /** An admitted worker's connection closed. */
  left(address: string): void {
    const key = addressKey(address);
    const mine = this.workersBy.get(key) ?? 0;
    if (mine === 0) return;
    if (mine === 1) this.workersBy.delete(key);
    else this.workersBy.set(key, mine - 1);
    this.workersTotal--;
  }

  /** The pending connection closed before its hello. */
  abandon(address: string): void {
    this.settle(addressKey(address));
  }

  /** A worker from this address was dropped for work that did not check out, or for broken messages. */
  invalidWork(address: string): void {
    this.holdOffs.offend(addressKey(address), "work");
  }

  /** Connections counted as pending, and addresses remembered: for tests and status. */
  get pending(): number {
    return this.pendingTotal;
  }
  get tracked(): number {
    return this.holdOffs.tracked;
  }

  private settle(key: string): void {
    const mine = this.pendingBy.get(key) ?? 0;
    if (mine === 0) return;
    if (mine === 1) this.pendingBy.delete(key);
    else this.pendingBy.set(key, mine - 1);
    this.pendingTotal--;
  }
}

/** Digests first, so the constant-time comparison sees equal lengths whatever was sent. */
function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
