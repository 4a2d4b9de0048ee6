// The messages between the engine and a search thread. Both ends are this program, so plain types suffice.
import type { DatasetHeader } from "./dataset-file";
import type { NativePaths } from "./native";

export type ThreadRequest =
  | { type: "open"; paths: NativePaths; shared: SharedArrayBuffer; thread: number }
  // Fills a cache the engine allocated (and will free) with the k2pow key.
  | { type: "init-cache"; cache: number }
  // Builds items [start, start+count): `lanes` at a time with the shim's vector code, or with librandomx's own when 0.
  | { type: "build"; cache: number; dataset: number; start: number; count: number; lanes: number }
  // Reads pieces of an open dataset file into the dataset's memory, checking each, claiming them one at a time
  // from the shared counter until none is left.
  | { type: "load"; fd: number; memory: number; header: DatasetHeader }
  // The thread creates its VM (and frees it on "close"); the reply carries its hash of the self-test input.
  | { type: "vm"; flags: number; cache: number | null; dataset: number | null }
  // Claims chunks of `chunk` nonces from the shared counter until the range set in shared memory is used up. With
  // a share target, every nonce below it is reported as a "share" notice while the search goes on.
  | { type: "search"; input: Uint8Array; difficulty: Uint8Array; shareTarget: Uint8Array | null; chunk: bigint }
  // n inputs of 48 bytes and n targets of 32 bytes, concatenated: is each input's hash below its target?
  | { type: "check"; inputs: Uint8Array; targets: Uint8Array }
  | { type: "close" };

export type SearchOutcome = "found" | "exhausted" | "stopped";

export type ThreadReply =
  | { type: "ok" }
  // The first item the vector code built differently from librandomx (which the thread then stopped at), if any.
  | { type: "built"; mismatch: number | null }
  | { type: "vm"; address: number; selfTest: Uint8Array }
  // Null when every piece read matched its checksum, else which did not.
  | { type: "loaded"; mismatch: string | null }
  | { type: "searched"; outcome: SearchOutcome; nonce: bigint }
  // One byte per input, 1 when its hash is below its target; and the time the thread spent hashing them.
  | { type: "checked"; passed: Uint8Array; seconds: number }
  | { type: "error"; message: string };

/** Sent by a thread during a search with a share target, beside the one reply. */
export type ThreadNotice = { type: "share"; nonce: bigint };
