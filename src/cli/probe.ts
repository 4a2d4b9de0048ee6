// k2pow probe URL: asks a worker, load balancer or pool for k2pow jobs exactly as post-service would, checks every
// nonce with one local hash, and says plainly whether post-service would have succeeded.
import { randomBytes } from "node:crypto";
import { askLikePostService, type GroupOutcome } from "../client/post-service-client";
import { Engine } from "../engine/engine";
import { EngineError } from "../engine/engine-error";
import { hashInput, meetsDifficulty, postServiceDifficulty, type K2powJob } from "../engine/k2pow-rule";
import { parseJob } from "../jobs/job-params";
import type { CommandContext } from "./context";
import { envName } from "./serve-config";
import { readCa } from "./tls-flags";
import { EXIT, parseCommandLine, UsageError } from "./usage";

/** About 16 hashes a group: quick on any worker, still real work. */
const EASY_DIFFICULTY = "0f" + "ff".repeat(31);

const probeHelp = `Usage: k2pow probe URL [options]

Asks URL (a worker, a load balancer or a pool) for k2pow jobs exactly as post-service does: per nonce group, at most
--parallelism at once, GET URL/job/... until answered, waiting --backoff after a connection error, 201 or 429.
Checks every nonce with one local RandomX hash (light mode). user:password@ in URL is sent as HTTP Basic auth.
Exit 0 only when every group got a valid nonce and nothing but 200, 201 and 429 was answered.

  --groups N             nonce groups to ask for, 0..N-1 (default 6)
  --parallelism P        groups asked for at once (default 5, post-service's)
  --backoff SECONDS      wait between polls (default 5, post-service's)
  --timeout SECONDS      give up on a group after this long (default 600)
  --miner HEX            32 bytes (default: random)
  --challenge HEX        8 bytes (default: random)
  --difficulty HEX       32 bytes (default: easy, about 16 hashes a group)
  --units N              use post-service's default difficulty for an identity of N space units instead
  --ca FILE              trust the CA certificate(s) in FILE (PEM) for an https:// URL, instead of the
                         public CAs (K2POW_CA); post-service must trust that CA as well`;

function positiveNumber(name: string, text: string | undefined, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be a positive ${integer ? "whole number" : "number"}, got '${text}'`);
  }
  return value;
}

export async function probe(argv: string[], { workerUrl }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      groups: { type: "string" },
      parallelism: { type: "string" },
      backoff: { type: "string" },
      timeout: { type: "string" },
      miner: { type: "string" },
      challenge: { type: "string" },
      difficulty: { type: "string" },
      units: { type: "string" },
      ca: { type: "string" },
      help: { type: "boolean" },
    },
    ["URL"],
  );
  if (values.help) {
    console.log(probeHelp);
    return EXIT.ok;
  }
  const url = positionals[0]!;
  try {
    if (!/^https?:$/.test(new URL(url).protocol)) throw new Error();
  } catch {
    throw new UsageError(`URL must be an http:// or https:// address, got '${url}'`);
  }
  const caFile = values.ca ?? process.env[envName("ca")];
  if (caFile !== undefined && new URL(url).protocol !== "https:") throw new UsageError(`--ca (${envName("ca")}) is for an https:// URL; ${url} is not`);
  const groups = positiveNumber("groups", values.groups, 6, true);
  if (groups > 256) throw new UsageError(`--groups can be at most 256 (nonce groups are 0..255), got ${groups}`);
  const parallelism = positiveNumber("parallelism", values.parallelism, 5, true);
  const backoff = positiveNumber("backoff", values.backoff, 5, false);
  const timeout = positiveNumber("timeout", values.timeout, 600, false);
  if (values.difficulty !== undefined && values.units !== undefined) throw new UsageError("give --difficulty or --units, not both");
  const units = positiveNumber("units", values.units, 0, true);
  const miner = values.miner ?? randomBytes(32).toString("hex");
  const challenge = values.challenge ?? randomBytes(8).toString("hex");
  const difficulty = values.difficulty ?? (units > 0 ? Buffer.from(postServiceDifficulty(units)).toString("hex") : EASY_DIFFICULTY);
  // Check the parts here, so a typo is a usage error rather than 400s from the worker.
  const checked = parseJob({ miner, nonce_group: "0", challenge, difficulty });
  if (!checked.ok) throw new UsageError(`--${checked.part === "nonce_group" ? "groups" : checked.part} is not valid: ${checked.message}`);

  let ca: string | undefined;
  if (caFile !== undefined) {
    const read = readCa(caFile);
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
  let engine: Engine | null = null;
  try {
    // The checking engine starts while the worker works: one thread, light mode, 256 MiB.
    engine = new Engine({ mode: "light", threads: 1, workerUrl });
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
    await engine.ready;

    let failures = 0;
    for (const outcome of outcomes) {
      const line = describe(outcome, engine, checked.job);
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
    await engine?.close();
  }
}

function describe(outcome: GroupOutcome, engine: Engine, job: K2powJob): { ok: boolean; text: string } {
  const head = `group ${String(outcome.nonceGroup).padStart(3)}: ${outcome.seconds.toFixed(1).padStart(6)} s, ${outcome.requests} request(s):`;
  if (!outcome.ok) return { ok: false, text: `${head} FAILED: ${outcome.error}` };
  const groupJob = { ...job, nonceGroup: outcome.nonceGroup };
  if (outcome.nonce >= 1n << 56n) return { ok: false, text: `${head} nonce ${outcome.nonce} is WRONG: above 2^56` };
  const valid = meetsDifficulty(engine.hash(hashInput(groupJob, outcome.nonce)), groupJob.difficulty);
  return valid
    ? { ok: true, text: `${head} nonce ${outcome.nonce}, valid` }
    : { ok: false, text: `${head} nonce ${outcome.nonce} is WRONG: its hash is not below the difficulty` };
}
