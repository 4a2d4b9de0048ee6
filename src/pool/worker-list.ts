// Which workers the pool's /status lists, and all of them a page at a time. Every worker of a fleet of thousands in
// /status would be megabytes, asked for every 2 s by each open dashboard: /status lists every worker of a small fleet,
// and past LISTED_WORKERS those most worth a look (the suspicious, then the slowest), with a summary of the whole
// fleet; GET /status/workers pages through them all by label, or those whose label or address holds a search.
import type { FleetSummary, PoolWorker, WorkerPage } from "../wire/status";
import type { WorkerSession } from "./worker-session";

/** Workers /status lists at most. */
export const LISTED_WORKERS = 50;
/** Workers a page of GET /status/workers holds at most, and by default. */
export const PAGE_LIMIT = 200;
const DEFAULT_PAGE = 50;
const MAX_SEARCH = 100;

export function workerStatus(s: WorkerSession, now: number): PoolWorker {
  return {
    id: s.id,
    name: s.name,
    label: s.label,
    remote: s.link.remote,
    threads: s.threads,
    mode: s.mode,
    connectedSeconds: (now - s.joinedAt) / 1000,
    hashRate: s.provenRate(now),
    shares: { received: s.sharesReceived, checked: s.sharesChecked, rejected: s.sharesRejected },
    claims: { ranges: s.rangesClaimed, proven: s.rangesProven },
    thinClaims: s.thinClaims,
    range: s.range === null ? null : { start: s.range.start, count: s.range.count },
  };
}

/** The workers /status lists, and the summary of all of them. */
export function listWorkers(all: PoolWorker[]): { workers: PoolWorker[]; fleet: FleetSummary } {
  const rates = all.flatMap((w) => (w.hashRate === null ? [] : [w.hashRate])).sort((a, b) => a - b);
  const at = (q: number) => rates[Math.min(rates.length - 1, Math.floor(q * rates.length))]!;
  const fleet: FleetSummary = {
    listed: all.length <= LISTED_WORKERS ? "all" : "suspicious and slowest",
    fast: all.filter((w) => w.mode === "fast").length,
    light: all.filter((w) => w.mode === "light").length,
    threads: all.reduce((sum, w) => sum + w.threads, 0),
    searching: all.filter((w) => w.range !== null).length,
    measuring: all.length - rates.length,
    suspicious: all.filter((w) => w.thinClaims > 0).length,
    hashRate: rates.length === 0 ? null : { p10: at(0.1), p50: at(0.5), p90: at(0.9), max: rates[rates.length - 1]! },
  };
  if (all.length <= LISTED_WORKERS) return { workers: all, fleet };
  // The suspicious first, most thin claims first; then the slowest, those without a proven rate yet first.
  const rank = (w: PoolWorker) => [-w.thinClaims, w.hashRate ?? -1] as const;
  const workers = [...all]
    .sort((a, b) => {
      const [ta, ra] = rank(a);
      const [tb, rb] = rank(b);
      return ta - tb || ra - rb;
    })
    .slice(0, LISTED_WORKERS);
  return { workers, fleet };
}

export interface WorkerQuery {
  search: string;
  offset: number;
  limit: number;
}

/** GET /status/workers's query, or what is wrong with it (for a 400). */
export function workerQuery(query: Record<string, string | undefined>): WorkerQuery | string {
  const search = query.search ?? "";
  if (search.length > MAX_SEARCH) return `search must be at most ${MAX_SEARCH} characters`;
  const offset = whole(query.offset, 0);
  if (offset === null) return "offset must be a whole number, 0 or more";
  const limit = whole(query.limit, DEFAULT_PAGE);
  if (limit === null || limit < 1 || limit > PAGE_LIMIT) return `limit must be a whole number from 1 to ${PAGE_LIMIT}`;
  return { search, offset, limit };
}

/** A page of the connected workers by label: those whose label or address holds the search, from the offset. */
export function workerPage(sessions: Iterable<WorkerSession>, now: number, { search, offset, limit }: WorkerQuery): WorkerPage {
  const needle = search.toLowerCase();
  let total = 0;
  const matched: WorkerSession[] = [];
  for (const s of sessions) {
    total++;
    if (needle === "" || s.label.toLowerCase().includes(needle) || s.link.remote.includes(needle)) matched.push(s);
  }
  matched.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
  return { total, matched: matched.length, offset, workers: matched.slice(offset, offset + limit).map((s) => workerStatus(s, now)) };
}

function whole(text: string | undefined, fallback: number): number | null {
  if (text === undefined || text === "") return fallback;
  return /^\d{1,9}$/.test(text) ? Number(text) : null;
}
