// The messages between the engine and a search thread. Both ends are this program, so plain types suffice.
import type { NativePaths } from "./native";

export type ThreadRequest =
  | { type: "open"; paths: NativePaths; shared: SharedArrayBuffer; thread: number }
  | { type: "cache"; flags: number }
  | { type: "build"; cache: number; dataset: number; start: number; count: number }
  | { type: "vm"; flags: number; cache: number | null; dataset: number | null } // replies with the VM's address
  // With a share target, every nonce below it is reported as a "share" notice while the search goes on.
  | { type: "search"; input: Uint8Array; difficulty: Uint8Array; shareTarget: Uint8Array | null; start: bigint; count: bigint }
  | { type: "close" };

export type SearchOutcome = "found" | "exhausted" | "stopped";

export type ThreadReply =
  | { type: "ok" }
  | { type: "pointer"; value: number }
  | { type: "searched"; outcome: SearchOutcome; nonce: bigint }
  | { type: "error"; message: string };

/** Sent by a thread during a search with a share target, beside the one reply. */
export type ThreadNotice = { type: "share"; nonce: bigint };
