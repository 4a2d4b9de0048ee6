// The dashboard's loop: /status every 2 s and the hash-rate history every 5 s, drawn without reloading. The role
// (worker or pool) comes from <body data-role>. <body> carries data-updated (unix ms of the last good /status, empty
// before the first) and data-stale, for people's eyes through CSS and for tests.
import { RateChart } from "./chart";
import { fetchJson } from "./fetch-json";
import { Header } from "./header";
import { RateHistory } from "./history";
import { PoolView } from "./pool-view";
import type { RateHistoryReport as History } from "../../wire/status";
import type { View } from "./view";
import { WorkerView } from "./worker-view";

const STATUS_EVERY_MS = 2000;
const HISTORY_EVERY_MS = 5000;

const body = document.body;
const role = body.dataset.role === "pool" ? "pool" : "worker";
const header = new Header(role);
const history = new RateHistory();
let board: { view: View; chart: RateChart } | null = null;
let lastData: number | null = null;
let failingSince: number | null = null;
/** Why the last ask for the history failed, for a chart made after it. */
let historyProblem: string | null = null;
/** After a 401 nothing more is asked: each ask could make the browser prompt for the password again. */
let locked = false;

body.dataset.updated = "";
body.dataset.stale = "false";
body.append(header.root);

/** The cards, made at the first data so that an empty skeleton never shows. */
function theBoard(): { view: View; chart: RateChart } {
  if (board === null) {
    const view = role === "pool" ? new PoolView() : new WorkerView();
    const chart = new RateChart(role === "pool");
    view.chartSlot.append(chart.root);
    body.append(view.root);
    // Held before drawing, so that a throw below cannot make the next poll add a second board.
    board = { view, chart };
    chart.show(history.points);
    if (historyProblem !== null) chart.unavailable(historyProblem);
  }
  return board;
}

function lock(): void {
  locked = true;
  board?.chart.destroy();
  board?.view.root.remove();
  board = null;
  history.clear();
  header.unauthorized();
  body.dataset.stale = "true";
}

/** An answer that is JSON but not what the page expects throws while it is drawn; it counts as a failed ask. */
const UNREADABLE = "the answer could not be read";

/** Asks for /status, and again 2 s later whatever happens: set in `finally`, so that no throw can end the polling. */
async function pollStatus(): Promise<void> {
  try {
    const got = await fetchJson("status");
    if (locked) return;
    if (!got.ok) return got.unauthorized ? lock() : statusFailed(got.reason);
    const headline = theBoard().view.update(got.body);
    lastData = Date.now();
    failingSince = null;
    header.live(headline, lastData);
    body.dataset.updated = String(lastData);
    body.dataset.stale = "false";
  } catch {
    if (!locked) statusFailed(UNREADABLE);
  } finally {
    if (!locked) setTimeout(pollStatus, STATUS_EVERY_MS);
  }
}

/** What is shown stays, marked as old, with why. */
function statusFailed(reason: string): void {
  failingSince ??= Date.now();
  header.unreachable(failingSince, lastData, reason);
  body.dataset.stale = "true";
}

/** The same for the history, every 5 s. */
async function pollHistory(): Promise<void> {
  try {
    const since = history.since;
    const got = await fetchJson(since === null ? "status/history" : `status/history?since=${since}`);
    if (locked) return;
    if (!got.ok) return got.unauthorized ? lock() : historyFailed(got.reason);
    historyProblem = null;
    history.add(got.body as History);
    board?.chart.show(history.points);
  } catch {
    if (!locked) historyFailed(UNREADABLE);
  } finally {
    if (!locked) setTimeout(pollHistory, HISTORY_EVERY_MS);
  }
}

function historyFailed(reason: string): void {
  historyProblem = reason;
  board?.chart.unavailable(reason);
}

void pollStatus();
void pollHistory();
