// The bounds on what one request may cost, defined once for `serve` and `pool`: --max-expected-hashes (a job past
// it is refused with 400) and --job-timeout (a job running longer fails with 500 "timed out").
import { Type } from "@sinclair/typebox";
import { DEFAULT_MAX_EXPECTED_HASHES, LARGEST_UNITS } from "../jobs/work-bound";

export const limitFlagOptions = {
  "max-expected-hashes": { type: "string" },
  "job-timeout": { type: "string" },
} as const;

/** A day's proving window is 12 hours (the cycle gap); a job still running after that has missed it. */
export const DEFAULT_JOB_TIMEOUT = 43_200;

/** Help lines in the layout of serve's and pool's help: the environment variable in the last column. */
const helpLine = (text: string, env = "") => (env === "" ? text : `${text.padEnd(96)}${env}`);
export const limitFlagsHelp = [
  helpLine(`  --max-expected-hashes N  refuse (400) a job expected to take more hashes; default ${DEFAULT_MAX_EXPECTED_HASHES},`),
  helpLine(`                           what post-service asks of a ${LARGEST_UNITS.toLocaleString("en-US")}-unit identity`, "K2POW_MAX_EXPECTED_HASHES"),
  helpLine(`  --job-timeout SECONDS    a job running longer fails with "timed out" (500); 0 = never;`),
  helpLine(`                           default ${DEFAULT_JOB_TIMEOUT} (12 h, a proving window)`, "K2POW_JOB_TIMEOUT"),
].join("\n");

export const LimitConfigFields = {
  maxExpectedHashes: Type.Number({ minimum: 1 }),
  jobTimeoutSeconds: Type.Number({ minimum: 0, maximum: 30 * 86_400 }),
};

export const LIMIT_FIELDS = {
  maxExpectedHashes: { flag: "max-expected-hashes", expect: "a number of hashes, 1 or more (5e9 is fine)" },
  jobTimeoutSeconds: { flag: "job-timeout", expect: "a number of seconds from 0 (never) to 2592000" },
} as const;

/** The two settings from their flags or variables, defaults filled in; checked by the caller's schema. */
export function limits(pick: (flag: keyof typeof limitFlagOptions) => string | undefined) {
  return {
    maxExpectedHashes: Number(pick("max-expected-hashes") ?? DEFAULT_MAX_EXPECTED_HASHES),
    jobTimeoutSeconds: Number(pick("job-timeout") ?? DEFAULT_JOB_TIMEOUT),
  };
}
