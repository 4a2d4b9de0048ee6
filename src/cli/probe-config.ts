// The settings of `k2pow probe URL`: how to ask like post-service, and which job to ask for; each flag also read
// from its environment variable.
import { randomBytes } from "node:crypto";
import { Type } from "@sinclair/typebox";
import { toHex } from "../bytes/hex";
import { postServiceDifficulty } from "../engine/k2pow-rule";
import { parseJob } from "../jobs/job-params";
import { command, commandHelp, envName, field, readCommand, type Env } from "./config";
import { CA_FIELD } from "./tls-flags";
import { UNITS } from "./units-flag";
import { UsageError } from "./usage";

/** About 16 hashes a group: quick on any worker, still real work. */
const EASY_DIFFICULTY = "0f" + "ff".repeat(31);

const positive = (flag: string, arg: string, integer: boolean, fallback: number, help: string) =>
  field({
    flag,
    arg,
    read: Number,
    schema: integer ? Type.Integer({ minimum: 1 }) : Type.Number({ exclusiveMinimum: 0 }),
    default: fallback,
    takes: integer ? "a positive whole number" : "a positive number",
    help,
  });

/** The job's parts, checked together by parseJob, which says which part is wrong and why. */
const jobPart = (flag: string, help: string) => ({ flag, arg: "HEX", schema: Type.String(), takes: "hex", help });

const PROBE = command({
  usage: "probe URL",
  about: `Asks URL (a worker, a load balancer or a pool) for k2pow jobs exactly as post-service does: per nonce group, at most
--parallelism at once, GET URL/job/... until answered, waiting --backoff after a connection error, 201 or 429.
Checks every nonce with one local RandomX hash (light mode). user:password@ in URL is sent as HTTP Basic auth.
Exit 0 only when every group got a valid nonce and nothing but 200, 201 and 429 was answered.
Every option can also be set by its environment variable.`,
  positionals: ["URL"],
  fields: {
    groups: field({
      flag: "groups",
      arg: "N",
      read: Number,
      schema: Type.Integer({ minimum: 1, maximum: 256 }),
      default: 6,
      takes: "a whole number from 1 to 256 (nonce groups are 0..255)",
      help: "nonce groups to ask for, 0..N-1; default 6",
    }),
    parallelism: positive("parallelism", "P", true, 5, "groups asked for at once; default 5, post-service's"),
    backoff: positive("backoff", "SECONDS", false, 5, "wait between polls; default 5, post-service's"),
    timeout: positive("timeout", "SECONDS", false, 600, "give up on a group after this long; default 600"),
    miner: field({ ...jobPart("miner", "32 bytes; default random"), default: () => toHex(randomBytes(32)) }),
    challenge: field({ ...jobPart("challenge", "8 bytes; default random"), default: () => toHex(randomBytes(8)) }),
    difficulty: field(jobPart("difficulty", "32 bytes; default easy, about 16 hashes a group")),
    units: { ...UNITS, help: "use post-service's default difficulty for an identity of N space units instead" },
    ca: { ...CA_FIELD, help: "trust the CA certificate(s) in FILE (PEM) for an https:// URL, instead of the public CAs; post-service must trust that CA as well" },
  },
});

export const probeHelp = commandHelp(PROBE);

export function probeConfig(argv: string[], env: Env = process.env) {
  const read = readCommand(PROBE, argv, env);
  if (read === "help") return "help";
  const { units, ...values } = read.values;
  const url = read.positionals[0]!;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = "";
  }
  if (!/^https?:$/.test(protocol)) throw new UsageError(`URL must be an http:// or https:// address, got '${url}'`);
  if (values.ca !== undefined && protocol !== "https:") throw new UsageError(`--ca (${envName("ca")}) is for an https:// URL; ${url} is not`);
  if (values.difficulty !== undefined && units !== undefined) throw new UsageError("give --difficulty or --units, not both");
  const difficulty = values.difficulty ?? (units !== undefined ? toHex(postServiceDifficulty(units)) : EASY_DIFFICULTY);
  // Check the parts here, so a typo is a usage error rather than 400s from the worker.
  const checked = parseJob({ miner: values.miner, nonce_group: "0", challenge: values.challenge, difficulty });
  if (!checked.ok) throw new UsageError(`--${checked.part === "nonce_group" ? "groups" : checked.part} is not valid: ${checked.message}`);
  return { ...values, url, difficulty, job: checked.job };
}
