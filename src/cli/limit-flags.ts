// The bounds on what one request may cost, defined once for `serve` and `pool`: --max-expected-hashes (a job past
// it is refused with 400) and --job-timeout (a job running longer fails with 500 "timed out").
import { Type } from "@sinclair/typebox";
import { DEFAULT_MAX_EXPECTED_HASHES, LARGEST_UNITS } from "../jobs/work-bound";
import { field } from "./config";

/** A day's proving window is 12 hours (the cycle gap); a job still running after that has missed it. */
const DEFAULT_JOB_TIMEOUT = 43_200;

export const LIMIT_FIELDS = {
  maxExpectedHashes: field({
    flag: "max-expected-hashes",
    arg: "N",
    read: Number,
    schema: Type.Number({ minimum: 1 }),
    default: DEFAULT_MAX_EXPECTED_HASHES,
    takes: "a number of hashes, 1 or more (5e9 is fine)",
    help: `refuse (400) a job expected to take more hashes; default ${DEFAULT_MAX_EXPECTED_HASHES}, what post-service asks of a ${LARGEST_UNITS.toLocaleString("en-US")}-unit identity`,
  }),
  jobTimeoutSeconds: field({
    flag: "job-timeout",
    arg: "SECONDS",
    read: Number,
    schema: Type.Number({ minimum: 0, maximum: 30 * 86_400 }),
    default: DEFAULT_JOB_TIMEOUT,
    takes: "a number of seconds from 0 (never) to 2592000",
    help: `a job running longer fails with "timed out" (500); 0 = never; default ${DEFAULT_JOB_TIMEOUT} (12 h, a proving window)`,
  }),
};
