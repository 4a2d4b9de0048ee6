// The pool's dashboard: its queue, the job being searched, its workers and their hash rates, the workers it dropped,
// its last answers and its totals.
import { card, facts, field, h, setField, show } from "./dom";
import { formatCount, formatDuration, formatEta, formatPercent, formatRate, formatWhen, shortKey } from "./format";
import { ProgressBar } from "./progress-bar";
import type { PoolJobJson as PoolJob, PoolStatusJson as PoolStatus } from "../../wire/status";
import { cell, Table } from "./table";
import type { Headline, View } from "./view";
import { WorkerTable } from "./worker-table";

const CAUSES: Record<string, string> = {
  "bad-work": "bad work",
  silent: "went silent",
  protocol: "protocol error",
  "worker-failed": "worker failed",
};

export class PoolView implements View {
  readonly root: HTMLElement;
  readonly chartSlot = h("div");
  private readonly totalHashRate = field("totalHashRate", "big num");

  private readonly noJob = h("p", { class: "empty" }, "No job running — waiting for post-service.");
  private readonly jobBox = h("div", { class: "stack" });
  private readonly jobKey = field("jobKey", "mono strong");
  private readonly jobBar = new ProgressBar("jobProgress");
  private readonly jobSearched = field("jobSearched", "num");
  private readonly jobExpected = field("jobExpected", "num");
  private readonly jobProven = field("jobProven", "num");
  private readonly jobSeconds = field("jobSeconds", "num");
  private readonly jobEta = field("jobEta", "num");
  private readonly jobRanges = field("jobRanges", "num");

  private readonly workerCount = field("workerCount", "count num");
  private readonly fleet = h("p", { class: "muted", "data-field": "fleetSummary", "data-value": "" });
  private readonly workers = new WorkerTable();
  private readonly queueLength = field("queueLength", "count num");
  private readonly queue = new Table(["#", "Job", "State", "Waiting"], "The queue is empty.");
  private readonly answers = new Table(["Job", "Result", "Worker", "Took", "Finished"], "No answers yet.", true);
  private readonly droppedCount = field("droppedCount", "count num");
  private readonly dropped = new Table(["Time", "Worker", "Address", "Cause", "Reason"], "No worker dropped.", true);

  private readonly jobsDone = field("jobsDone", "num");
  private readonly jobsFailed = field("jobsFailed", "num");
  private readonly sharesChecked = field("totalSharesChecked", "num");
  private readonly sharesRejected = field("totalSharesRejected", "num");
  private readonly uptime = field("uptime", "num");
  private readonly version = field("version", "mono");
  private readonly auth = field("auth");

  constructor() {
    this.jobBox.append(
      h("div", { class: "row" }, this.jobKey),
      this.jobBar.root,
      h("p", { class: "muted" }, this.jobSearched, " of ", this.jobExpected, " expected hashes searched"),
      facts([
        ["Proven", h("span", {}, this.jobProven, " hashes")],
        ["Elapsed", this.jobSeconds],
        ["ETA", this.jobEta],
        ["Ranges out", this.jobRanges],
      ]),
    );
    this.root = h(
      "main",
      { class: "grid" },
      card("Job", "", this.noJob, this.jobBox),
      card(["Hash rate, last hour", this.totalHashRate], "span-2", this.chartSlot),
      card(["Workers", this.workerCount], "span-all", this.fleet, this.workers.root),
      card(["Queue", this.queueLength], "", this.queue.root),
      card("Last answers", "span-2", this.answers.root),
      card(
        "Totals",
        "",
        facts([
          ["Jobs done", this.jobsDone],
          ["Jobs failed", this.jobsFailed],
          ["Shares checked", this.sharesChecked],
          ["Shares rejected", this.sharesRejected],
          ["Uptime", this.uptime],
          ["Version", this.version],
          ["Password", this.auth],
        ]),
      ),
      card(["Workers dropped", this.droppedCount], "span-2", this.dropped.root),
    );
  }

  update(body: unknown): Headline {
    const status = body as PoolStatus;
    const { totals } = status;
    setField(this.totalHashRate, formatRate(totals.hashRate), totals.hashRate);
    this.showJob(status.job);
    setField(this.workerCount, formatCount(totals.workers), totals.workers);
    setField(this.fleet, fleetLine(status), status.fleet.listed);
    this.workers.update(status.workers, status.fleet.listed === "all", totals.workers);
    setField(this.queueLength, String(status.queue.length), status.queue.length);
    this.queue.render(
      status.queue.map((entry, i) => ({
        cells: [
          cell(String(i + 1), { cls: "num muted" }),
          cell(shortKey(entry.key), { title: entry.key, cls: "mono" }),
          cell(entry.state, { cls: entry.state === "running" ? "strong" : "" }),
          cell(formatDuration(entry.queuedSeconds), { cls: "num" }),
        ],
      })),
    );
    this.answers.render(
      status.recent.answers.map((answer) => ({
        cells: [
          cell(shortKey(answer.key), { title: answer.key, cls: "mono" }),
          answer.outcome === "done"
            ? cell(`nonce ${answer.nonce ?? "?"}`, { cls: "mono" })
            : cell(answer.error ?? "failed", { cls: "bad wrap" }),
          cell(answer.worker ?? "—", { cls: "name" }),
          cell(formatDuration(answer.seconds), { cls: "num" }),
          cell(formatWhen(answer.finishedAt), { cls: "num muted" }),
        ],
      })),
    );
    setField(this.droppedCount, String(totals.dropped), totals.dropped);
    this.dropped.render(
      status.recent.dropped.map((drop) => ({
        cells: [
          cell(formatWhen(drop.at), { cls: "num muted" }),
          cell(drop.worker, { cls: "name" }),
          cell(drop.remote, { cls: "mono" }),
          cell(CAUSES[drop.cause] ?? drop.cause, { title: drop.cause, cls: "bad" }),
          cell(drop.reason, { cls: "wrap" }),
        ],
      })),
    );
    setField(this.jobsDone, formatCount(totals.done), totals.done);
    setField(this.jobsFailed, formatCount(totals.failed), totals.failed);
    this.jobsFailed.classList.toggle("bad", totals.failed > 0);
    setField(this.sharesChecked, formatCount(totals.sharesChecked), totals.sharesChecked);
    setField(this.sharesRejected, formatCount(totals.sharesRejected), totals.sharesRejected);
    this.sharesRejected.classList.toggle("bad", totals.sharesRejected > 0);
    setField(this.uptime, formatDuration(status.uptimeSeconds), status.uptimeSeconds);
    setField(this.version, status.version, status.version);
    setField(this.auth, status.security.auth === "basic" ? "required" : "none", status.security.auth);
    this.auth.classList.toggle("warn", status.security.warning !== null);
    return headline(status);
  }

  private showJob(job: PoolJob | null): void {
    show(this.noJob, job === null);
    show(this.jobBox, job !== null);
    const fields = [this.jobKey, this.jobSearched, this.jobExpected, this.jobProven, this.jobSeconds, this.jobEta, this.jobRanges];
    if (job === null) {
      for (const element of fields) setField(element, "", null);
      this.jobBar.clear();
      return;
    }
    setField(this.jobKey, shortKey(job.key), job.key);
    this.jobKey.title = job.key;
    this.jobBar.set(job.progress);
    setField(this.jobSearched, formatCount(job.searched), job.searched);
    setField(this.jobExpected, formatCount(job.expectedHashes), job.expectedHashes);
    setField(this.jobProven, formatCount(job.proven), job.proven);
    setField(this.jobSeconds, formatDuration(job.seconds), job.seconds);
    setField(this.jobEta, formatEta(job.etaSeconds, Number(job.searched), job.expectedHashes), job.etaSeconds);
    setField(this.jobRanges, String(job.ranges), job.ranges);
  }
}

/** The whole fleet in a line. */
function fleetLine({ fleet, totals }: PoolStatus): string {
  if (totals.workers === 0) return "";
  const modes = [fleet.fast > 0 ? `${formatCount(fleet.fast)} fast` : "", fleet.light > 0 ? `${formatCount(fleet.light)} light` : ""].filter(Boolean);
  const parts = [
    `${modes.join(", ")}; ${formatCount(fleet.threads)} threads`,
    `${formatCount(fleet.searching)} on a range`,
    `${formatCount(fleet.measuring)} measuring`,
    `${formatCount(fleet.suspicious)} with a claim not proven of late`,
  ];
  const rates = fleet.hashRate === null ? "" : ` Proven rates: a tenth under ${formatRate(fleet.hashRate.p10)}, half under ${formatRate(fleet.hashRate.p50)}, a tenth over ${formatRate(fleet.hashRate.p90)}; fastest ${formatRate(fleet.hashRate.max)}.`;
  return `${parts.join(" · ")}.${rates}`;
}

function headline({ job, totals, security }: PoolStatus): Headline {
  const warning = security.warning;
  const rate = formatRate(totals.hashRate);
  const count = totals.workers === 1 ? "1 worker" : `${formatCount(totals.workers)} workers`;
  if (job !== null && totals.workers === 0) {
    const line = `Job ${shortKey(job.key)} waits: no worker is connected.`;
    return { state: "waiting", badge: "Waiting for workers", tone: "warn", line, warning };
  }
  if (job !== null) {
    const percent = formatPercent(job.progress);
    const line = `Job ${shortKey(job.key)}: ${percent} of the expected hashes searched by ${count} at ${rate}, ETA ${formatEta(job.etaSeconds, Number(job.searched), job.expectedHashes)}.`;
    return { state: "working", badge: `Working ${percent}`, tone: "busy", line, warning };
  }
  if (totals.workers === 0) {
    return { state: "no-workers", badge: "No workers", tone: "warn", line: "No workers connected; jobs wait until one joins.", warning };
  }
  return { state: "idle", badge: "Idle", tone: "ok", line: `${count} ready at ${rate}, waiting for post-service to send a job.`, warning };
}
