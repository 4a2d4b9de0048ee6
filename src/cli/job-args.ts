// The job's four parts on the command line, in the order of the HTTP path: MINER GROUP CHALLENGE DIFFICULTY.
import type { K2powJob } from "../engine/k2pow-rule";
import { parseJob } from "../jobs/job-params";
import { UsageError } from "./usage";

export const JOB_ARGS = ["MINER", "GROUP", "CHALLENGE", "DIFFICULTY"] as const;

export function jobFromArgs(positionals: string[]): K2powJob {
  const [miner, nonce_group, challenge, difficulty] = positionals as [string, string, string, string];
  const parsed = parseJob({ miner, nonce_group, challenge, difficulty });
  if (!parsed.ok) throw new UsageError(parsed.message);
  return parsed.job;
}
