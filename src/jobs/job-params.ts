// The four parts that name a k2pow job, as post-service sends them (SPEC §3) and as the CLI takes them, checked
// part by part so an error says which one is wrong.
import { Type, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { fromHex, hexPattern } from "../bytes/hex";
import type { K2powJob } from "../engine/k2pow-rule";

const hex = (bytes: number) => Type.String({ pattern: hexPattern(bytes) });

/** One schema per part, with what a user must be told when it does not match. */
const PARTS = {
  miner: { schema: hex(32), expect: "64 hex digits (32 bytes, no 0x)" },
  nonce_group: { schema: Type.String({ pattern: "^[0-9]{1,3}$" }), expect: "a decimal number from 0 to 255" },
  challenge: { schema: hex(8), expect: "16 hex digits (8 bytes, no 0x)" },
  difficulty: { schema: hex(32), expect: "64 hex digits (32 bytes, big-endian, no 0x)" },
} satisfies Record<string, { schema: TSchema; expect: string }>;

export type JobPart = keyof typeof PARTS;
export const JOB_PARTS = Object.keys(PARTS) as JobPart[];

export type JobParams = Record<JobPart, string>;

export type ParsedJob =
  | { ok: true; job: K2powJob; key: string }
  | { ok: false; part: JobPart; message: string };

function show(value: string): string {
  return value.length > 80 ? `'${value.slice(0, 80)}…' (${value.length} characters)` : `'${value}'`;
}

/** Decodes and checks a job's parts; `key` names the job the same way whatever the case of its hex. */
export function parseJob(params: JobParams): ParsedJob {
  for (const part of JOB_PARTS) {
    const { schema, expect } = PARTS[part];
    if (!Value.Check(schema, params[part])) {
      return { ok: false, part, message: `${part} must be ${expect}, got ${show(params[part])}` };
    }
  }
  const nonceGroup = Number(params.nonce_group);
  if (nonceGroup > 255) {
    return { ok: false, part: "nonce_group", message: `nonce_group must be ${PARTS.nonce_group.expect}, got ${nonceGroup}` };
  }
  const difficulty = fromHex(params.difficulty, 32);
  if (difficulty.every((b) => b === 0)) {
    return { ok: false, part: "difficulty", message: "difficulty must not be zero: no hash is below it, so the job could never finish" };
  }
  const job: K2powJob = { miner: fromHex(params.miner, 32), nonceGroup, challenge: fromHex(params.challenge, 8), difficulty };
  const key = [params.miner, nonceGroup, params.challenge, params.difficulty].join("/").toLowerCase();
  return { ok: true, job, key };
}

/** The job a key names (as parseJob makes keys); null for a key that names none. */
export function jobOfKey(key: string): K2powJob | null {
  const [miner = "", nonce_group = "", challenge = "", difficulty = "", ...rest] = key.split("/");
  if (rest.length > 0) return null;
  const parsed = parseJob({ miner, nonce_group, challenge, difficulty });
  return parsed.ok ? parsed.job : null;
}
