// k2pow probe URL: asks a worker, load balancer or pool for k2pow jobs exactly as post-service would, checks every
// nonce with one local hash, and says plainly whether post-service would have succeeded.
import { NONCE_LIMIT } from "../bytes/hex";
import { askLikePostService, type GroupOutcome } from "../client/post-service-client";
import { EngineError } from "../engine/engine-error";
import { Hasher } from "../engine/hasher";
import type { K2powJob } from "../engine/k2pow-rule";
import { probeConfig, probeHelp } from "./probe-config";
import { readCa } from "./tls-flags";
import { EXIT } from "./usage";

export async function probe(argv: string[]): Promise<number> {
  const config = probeConfig(argv);
  if (config === "help") {
    console.log(probeHelp);
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
