// k2pow probe URL: asks a worker, load balancer or pool for k2pow jobs exactly as post-service would, checks every
// nonce with one local hash, and says plainly whether post-service would have succeeded. Its flags say how to ask
// like post-service and which job to ask for, each also read from its environment variable.
import { randomBytes } from "node:crypto";
import { Type } from "@sinclair/typebox";
import { NONCE_LIMIT, toHex } from "../bytes/hex";
import { askLikePostService, type GroupOutcome } from "../client/post-service-client";
import { EngineError } from "../engine/engine-error";
import { Hasher } from "../engine/hasher";
import { postServiceDifficulty, type K2powJob } from "../engine/k2pow-rule";
import { parseJob } from "../jobs/job-params";
import { command, commandHelp, envName, EXIT, field, readCommand, UsageError, type Env } from "./config";
import { CA_FIELD, UNITS } from "./shared-flags";
import { readCa } from "./tls-files";

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

export async function probe(argv: string[]): Promise<number> {
  const config = probeConfig(argv);
  if (config === "help") {
    console.log(commandHelp(PROBE));
    return EXIT.ok;
  }
  const { url, groups, parallelism, backoff, timeout, miner, challenge, difficulty } = config;

  let ca: string | undefined;
  if (config.ca !== undefined) {
    const read = readCa(config.ca);
    if (!read.ok) {
      console.error(`k2pow: ${read.message}`);
      return EXIT.failed;
    }
    ca = read.pem;
  }

  console.log(`probing ${new URL(url).host}: ${groups} nonce group(s), parallelism ${parallelism}, backoff ${backoff} s`);
  console.log(`miner ${miner}, challenge ${challenge}, difficulty ${difficulty}`);
  if (url.endsWith("/")) {
    // post-service appends "/job/…" to the text as given; a worker answers "//job/…" 404, which fails the proof.
    // (This probe's HTTP client would quietly send "/job/…", so the failure is called here.)
    console.log(`FAIL: post-service would ask for ${url}/job/… and get 404 for every group; drop the trailing / from its URL`);
    return EXIT.no;
  }
  let hasher: Hasher | null = null;
  try {
    const seen = new Map<number | string, number>();
    const requests = Array.from({ length: groups }, (_, nonceGroup) => ({ miner, nonceGroup, challenge, difficulty }));
    const outcomes = await askLikePostService(requests, {
      url,
      ca,
      parallelism,
      backoffMs: backoff * 1000,
      timeoutMs: timeout * 1000,
      onAnswer: (_group, status) => seen.set(status, (seen.get(status) ?? 0) + 1),
    });
    const counts = [...seen.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)));
    console.log(`answers: ${counts.map(([status, n]) => `${status} ×${n}`).join(", ") || "none"}`);
    // Made once the answers are in: filling its cache holds this thread for about a second, which polling must not wait for.
    hasher = Hasher.light();

    let failures = 0;
    for (const outcome of outcomes) {
      const line = describe(outcome, hasher, config.job);
      if (!line.ok) failures++;
      console.log(line.text);
    }
    const unexpected = counts.filter(([status]) => typeof status === "number" && status !== 200 && status !== 201 && status !== 429);
    if (unexpected.length > 0) {
      console.log(`FAIL: post-service fails a proof on ${unexpected.map(([s]) => s).join(", ")}`);
      return EXIT.no;
    }
    if (failures > 0) {
      const host = new URL(url).host;
      const only = counts.length === 1 ? counts[0]![0] : null;
      console.log(
        only === "connection error"
          ? `FAIL: could not connect to ${host} in ${timeout} s; is the worker running, and are the address and port right?`
          : only === "TLS failure"
            ? `FAIL: no TLS connection to ${host} (see above); post-service cannot connect either until it trusts its certificate`
            : `FAIL: ${failures} of ${groups} group(s) without a valid nonce`,
      );
      return EXIT.no;
    }
    console.log(`OK: every group got a valid nonce; post-service would have succeeded`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    console.error(`k2pow: cannot check nonces: ${err.message}`);
    return EXIT.failed;
  } finally {
    hasher?.close();
  }
}

function describe(outcome: GroupOutcome, hasher: Hasher, job: K2powJob): { ok: boolean; text: string } {
  const head = `group ${String(outcome.nonceGroup).padStart(3)}: ${outcome.seconds.toFixed(1).padStart(6)} s, ${outcome.requests} request(s):`;
  if (!outcome.ok) return { ok: false, text: `${head} FAILED: ${outcome.error}` };
  const groupJob = { ...job, nonceGroup: outcome.nonceGroup };
  if (outcome.nonce >= NONCE_LIMIT) return { ok: false, text: `${head} nonce ${outcome.nonce} is WRONG: above 2^56` };
  const valid = hasher.verify(groupJob, outcome.nonce);
  return valid
    ? { ok: true, text: `${head} nonce ${outcome.nonce}, valid` }
    : { ok: false, text: `${head} nonce ${outcome.nonce} is WRONG: its hash is not below the difficulty` };
}
