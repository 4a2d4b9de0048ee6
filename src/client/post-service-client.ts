// A client that asks for k2pow jobs exactly as post-service does (SPEC §3): per nonce group, at most `parallelism`
// groups at once, GET /job/... in a loop; a connection error, 201 or 429 means wait `backoff` and ask again; 200
// carries the nonce as a bare u64; 500 and every other status fail that group.
import { explainTlsFailure } from "./tls-failure";

export interface GroupRequest {
  miner: string; // hex
  nonceGroup: number;
  challenge: string; // hex
  difficulty: string; // hex
}

export interface ClientOptions {
  /** The worker, load balancer or pool; user:password@ in it is sent as HTTP Basic auth, as post-service does. */
  url: string;
  /** PEM certificate(s) of the CA to trust for an https:// URL, instead of the usual public ones. */
  ca?: string;
  parallelism: number;
  backoffMs: number;
  /** Give up on a group after this long (post-service itself waits forever). */
  timeoutMs?: number;
  /** Hears every answer, for reports and for tests. */
  onAnswer?: (group: number, status: number | "connection error" | "TLS failure") => void;
}

export type GroupOutcome = { nonceGroup: number; seconds: number; requests: number } & (
  | { ok: true; nonce: bigint }
  | { ok: false; error: string }
);

const U64 = /^[0-9]{1,20}$/;

/** A body fit for one line of a report: a proxy's error page can be kilobytes of HTML. */
function firstLine(body: string): string {
  const line = body.trim().split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** The URL as post-service uses it: "/job/…" appended to the text as given, user:password@ sent as Basic auth. */
function endpoint(url: string): { base: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  const headers: Record<string, string> = {};
  if (parsed.username || parsed.password) {
    const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
  }
  return { base: url.replace(/^(https?:\/\/)[^@/]*@/i, "$1"), headers };
}

async function askUntilAnswered(group: GroupRequest, options: ClientOptions): Promise<GroupOutcome> {
  const { base, headers } = endpoint(options.url);
  const path = `${base}/job/${group.miner}/${group.nonceGroup}/${group.challenge}/${group.difficulty}`;
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? Infinity);
  const done = (rest: { ok: true; nonce: bigint } | { ok: false; error: string }): GroupOutcome => ({
    nonceGroup: group.nonceGroup,
    seconds: (performance.now() - started) / 1000,
    requests,
    ...rest,
  });
  let requests = 0;
  let last = "";
  for (;;) {
    if (performance.now() > deadline) {
      return done({ ok: false, error: `no answer within ${(options.timeoutMs! / 1000).toFixed(0)} s (${requests} requests; the last ${last})` });
    }
    requests++;
    let response: Response;
    let body: string;
    try {
      // The timeout holds during a request too: a silently dropped connection must not outlast it.
      const signal = Number.isFinite(deadline) ? AbortSignal.timeout(Math.max(1, deadline - performance.now())) : undefined;
      response = await fetch(path, { headers, signal, tls: options.ca === undefined ? undefined : { ca: options.ca } });
      body = await response.text();
    } catch (err) {
      // post-service would retry this forever too, but no retry fixes a certificate: say so at once.
      const tls = explainTlsFailure(err as Error, "the server", new URL(base).host);
      if (tls !== null) {
        options.onAnswer?.(group.nonceGroup, "TLS failure");
        return done({ ok: false, error: tls });
      }
      // Like post-service: a failed connection or a response cut short means wait and ask again.
      last = `could not connect: ${(err as Error).message}`;
      options.onAnswer?.(group.nonceGroup, "connection error");
      await Bun.sleep(options.backoffMs);
      continue;
    }
    options.onAnswer?.(group.nonceGroup, response.status);
    switch (response.status) {
      case 200:
        // post-service parses the body as a u64 and nothing else.
        if (!U64.test(body) || BigInt(body) >= 1n << 64n) return done({ ok: false, error: `200 with a body that is not a u64: ${JSON.stringify(body.slice(0, 100))}` });
        return done({ ok: true, nonce: BigInt(body) });
      case 201:
      case 429:
        last = `was answered ${response.status}`;
        await Bun.sleep(options.backoffMs);
        continue;
      case 500:
        return done({ ok: false, error: `the worker failed the job: ${firstLine(body)}` });
      default:
        return done({ ok: false, error: `unknown status code ${response.status}` });
    }
  }
}

/** Asks for every group, `parallelism` at a time, and returns each group's outcome in the order given. */
export async function askLikePostService(groups: GroupRequest[], options: ClientOptions): Promise<GroupOutcome[]> {
  const outcomes: GroupOutcome[] = new Array(groups.length);
  let next = 0;
  const lane = async () => {
    while (next < groups.length) {
      const i = next++;
      outcomes[i] = await askUntilAnswered(groups[i]!, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallelism, groups.length) }, lane));
  return outcomes;
}
