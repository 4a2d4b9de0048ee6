// The worker's dashboard: its engine and its dataset, the job it is on, its hash rate, its last jobs and errors.
import { card, facts, field, h, setField, show } from "./dom";
import { formatBytes, formatCount, formatDuration, formatEta, formatPercent, formatRate, formatWhen, shortJob, shortKey } from "./format";
import { ProgressBar } from "./progress-bar";
import type { DatasetReport, EngineReport, WorkerJob, WorkerStatusJson as WorkerStatus } from "../../wire/status";
import { cell, Table } from "./table";
import type { Headline, View } from "./view";

const PAGES: Record<string, string> = {
  hugetlb: "hugetlbfs huge pages",
  thp: "transparent huge pages",
  plain: "normal pages",
};

export class WorkerView implements View {
  readonly root: HTMLElement;
  readonly chartSlot = h("div");
  private readonly hashRate = field("hashRate", "big num");

  private readonly noJob = h("p", { class: "empty" });
  private readonly jobBox = h("div", { class: "stack" });
  private readonly jobKey = field("jobKey", "mono strong");
  private readonly jobState = field("jobState", "pill");
  private readonly jobBar = new ProgressBar("jobProgress");
  private readonly jobHashes = field("jobHashes", "num");
  private readonly jobExpected = field("jobExpected", "num");
  private readonly jobSeconds = field("jobSeconds", "num");
  private readonly jobEta = field("jobEta", "num");

  private readonly phase = field("phase");
  private readonly mode = field("mode");
  private readonly pages = field("pages");
  private readonly threads = field("threads", "num");
  private readonly threadsReason = h("span", { class: "muted" });
  private readonly engineError = h("p", { class: "error-text" });

  private readonly datasetState = field("datasetState");
  private readonly datasetBar = new ProgressBar("datasetProgress");
  private readonly datasetTime = h("span", { class: "num" });
  private readonly datasetFile = field("datasetFile");

  private readonly version = field("version", "mono");
  private readonly target = h("span", { class: "mono" });
  private readonly librandomx = h("span", { class: "mono" });
  private readonly uptime = field("uptime", "num");
  private readonly jobsDone = field("jobsDone", "num");
  private readonly jobsFailed = field("jobsFailed", "num");
  private readonly hashesTotal = field("hashesTotal", "num");
  private readonly auth = field("auth");
  private readonly limits = h("span", { class: "num" });
  private readonly refused = field("refused", "num");
  private readonly busy = field("busy", "num");

  private readonly jobs = new Table(["Job", "Result", "Took", "Rate", "Finished"], "No job finished yet.", true);
  private readonly errors = h("ul", { class: "errors" });

  constructor() {
    this.jobBox.append(
      h("div", { class: "row" }, this.jobKey, this.jobState),
      this.jobBar.root,
      h("p", { class: "muted" }, this.jobHashes, " of ", this.jobExpected, " expected hashes"),
      facts([
        ["Elapsed", this.jobSeconds],
        ["ETA", this.jobEta],
      ]),
    );
    this.root = h(
      "main",
      { class: "grid" },
      card("Job", "", this.noJob, this.jobBox),
      card(["Hash rate, last hour", this.hashRate], "span-2", this.chartSlot),
      card(
        "Engine",
        "",
        facts([
          ["Phase", this.phase],
          ["Mode", this.mode],
          ["Memory", this.pages],
          ["Threads", h("span", { class: "stack tight" }, this.threads, this.threadsReason)],
          ["Dataset", this.datasetState],
          ["Ready in", this.datasetTime],
          ["Dataset file", this.datasetFile],
        ]),
        this.datasetBar.root,
        this.engineError,
      ),
      card(
        "This worker",
        "",
        facts([
          ["Version", this.version],
          ["Target", this.target],
          ["librandomx", this.librandomx],
          ["Uptime", this.uptime],
          ["Jobs done", this.jobsDone],
          ["Jobs failed", this.jobsFailed],
          ["Hashes", this.hashesTotal],
          ["Password", this.auth],
          ["Job limits", this.limits],
          ["Refused", this.refused],
          ["Busy answers", this.busy],
        ]),
      ),
      card("Errors", "", this.errors),
      card("Last jobs", "span-all", this.jobs.root),
    );
  }

  update(body: unknown): Headline {
    const status = body as WorkerStatus;
    setField(this.hashRate, formatRate(status.hashRate), status.hashRate);
    this.showJob(status.job, status.engine.phase);
    this.showEngine(status.engine);
    this.showDataset(status.dataset);
    this.showFacts(status);
    this.showRecent(status);
    return headline(status);
  }

  private showJob(job: WorkerJob | null, phase: EngineReport["phase"]): void {
    this.noJob.textContent = phase === "failed"
      ? "No job running — the engine failed."
      : phase === "closed"
        ? "No job running — the engine is closed."
        : "No job running — waiting for post-service.";
    show(this.noJob, job === null);
    show(this.jobBox, job !== null);
    if (job === null) {
      for (const element of [this.jobKey, this.jobState, this.jobHashes, this.jobExpected, this.jobSeconds, this.jobEta]) {
        setField(element, "", null);
      }
      this.jobBar.clear();
      return;
    }
    setField(this.jobKey, shortJob(job.miner, job.nonceGroup), `${job.miner}/${job.nonceGroup}/${job.challenge}/${job.difficulty}`);
    this.jobKey.title = `miner ${job.miner}\nnonce group ${job.nonceGroup}\nchallenge ${job.challenge}\ndifficulty ${job.difficulty}`;
    const waiting = job.state === "waiting-for-engine";
    setField(this.jobState, waiting ? "waiting for the engine" : "running", job.state);
    this.jobState.classList.toggle("warn", waiting);
    this.jobBar.set(fractionDone(job));
    setField(this.jobHashes, formatCount(job.hashes), job.hashes);
    setField(this.jobExpected, formatCount(job.expectedHashes), job.expectedHashes);
    setField(this.jobSeconds, formatDuration(job.seconds), job.seconds);
    setField(this.jobEta, formatEta(job.etaSeconds, job.hashes, job.expectedHashes), job.etaSeconds);
  }

  private showEngine(engine: EngineReport): void {
    setField(this.phase, engine.phase === "dataset" ? "building the dataset" : engine.phase, engine.phase);
    setField(this.mode, engine.mode === "fast" ? "fast (2 GiB dataset)" : "light (256 MiB cache)", engine.mode);
    const pages = engine.pages === null ? "not allocated yet" : (PAGES[engine.pages] ?? engine.pages);
    const text = engine.hugePageBytes && engine.pages !== null ? `${formatBytes(engine.hugePageBytes)} in ${pages}` : pages;
    setField(this.pages, text, engine.pages);
    setField(this.threads, String(engine.threads), engine.threads);
    this.threadsReason.textContent = engine.threadsReason;
    this.engineError.textContent = engine.error ?? "";
    show(this.engineError, engine.error !== null);
  }

  private showDataset(dataset: DatasetReport): void {
    if (dataset.state === "none") {
      setField(this.datasetState, "not used in light mode", "none");
      setField(this.datasetFile, "—", "");
      this.datasetTime.textContent = "—";
      this.datasetBar.clear();
      show(this.datasetBar.root, false);
      return;
    }
    const origin = dataset.source === "loaded" ? "loaded from its file" : `built with ${dataset.builtWith}`;
    const state = dataset.state === "ready" && dataset.source !== null ? `ready (${origin})` : dataset.state;
    setField(this.datasetState, state, dataset.state);
    this.datasetBar.set(dataset.progress, dataset.state === "failed");
    show(this.datasetBar.root, dataset.state === "building" || dataset.state === "loading" || dataset.state === "failed");
    this.datasetTime.textContent = dataset.buildSeconds === null
      ? dataset.state === "building" || dataset.state === "loading" ? `${dataset.state}…` : "—"
      : `${formatDuration(dataset.buildSeconds)} (${dataset.source})`;
    const file = dataset.file;
    const saving = { idle: "", saving: ", saving…", saved: ", saved", failed: ", could not be saved (see the log)" };
    setField(this.datasetFile, file === null ? "none (--dataset-file none)" : `${file.path}${saving[file.save]}`, file?.path ?? "");
  }

  private showFacts(status: WorkerStatus): void {
    setField(this.version, status.version, status.version);
    this.target.textContent = status.target;
    this.librandomx.textContent = status.librandomx;
    setField(this.uptime, formatDuration(status.uptimeSeconds), status.uptimeSeconds);
    setField(this.jobsDone, formatCount(status.jobs.done), status.jobs.done);
    setField(this.jobsFailed, formatCount(status.jobs.failed), status.jobs.failed);
    this.jobsFailed.classList.toggle("bad", status.jobs.failed > 0);
    setField(this.hashesTotal, formatCount(status.hashesTotal), status.hashesTotal);
    const { auth, warning } = status.security;
    setField(this.auth, auth === "basic" ? "required" : "none", auth);
    this.auth.classList.toggle("warn", warning !== null);
    const { maxExpectedHashes, jobTimeoutSeconds } = status.limits;
    this.limits.textContent = `${formatCount(maxExpectedHashes)} hashes, ${jobTimeoutSeconds > 0 ? formatDuration(jobTimeoutSeconds) : "no time limit"}`;
    this.limits.title = "The most expected hashes a job may take, and how long a job may run";
    // "Busy" is post-service's other nonce groups polling while a job runs: normal work, counted apart from refusals.
    const { busy = 0, ...others } = status.refused;
    const refused = Object.entries(others);
    const total = refused.reduce((sum, [, count]) => sum + count, 0);
    setField(this.refused, total === 0 ? "none" : `${formatCount(total)} requests`, total);
    this.refused.title = refused.map(([why, count]) => `${why}: ${count}`).join("\n");
    setField(this.busy, busy === 0 ? "none" : `${formatCount(busy)} (another job was running; post-service retries)`, busy);
  }

  private showRecent(status: WorkerStatus): void {
    this.jobs.render(
      status.recent.jobs.map((job) => ({
        cells: [
          cell(shortKey(job.key), { title: job.key, cls: "mono" }),
          job.outcome === "done"
            ? cell(`nonce ${job.nonce ?? "?"}`, { cls: "mono" })
            : cell(job.error ?? "failed", { cls: "bad wrap" }),
          cell(formatDuration(job.seconds), { cls: "num" }),
          cell(formatRate(job.hashRate), { cls: "num" }),
          cell(formatWhen(job.finishedAt), { cls: "num muted" }),
        ],
      })),
    );
    if (status.recent.errors.length === 0) {
      this.errors.replaceChildren(h("li", { class: "empty" }, "No errors."));
      return;
    }
    this.errors.replaceChildren(
      ...status.recent.errors.map((note) =>
        h(
          "li",
          {},
          h("time", { class: "num muted" }, formatWhen(note.at)),
          " ",
          h("span", { class: "mono", title: note.key }, shortKey(note.key)),
          " ",
          note.message,
        )
      ),
    );
  }
}

function headline({ engine, dataset, job, hashRate, security }: WorkerStatus): Headline {
  const warning = security.warning;
  const name = job === null ? "" : shortJob(job.miner, job.nonceGroup);
  if (engine.phase === "failed" || dataset.state === "failed") {
    return { state: "failed", badge: "Failed", tone: "bad", line: engine.error ?? "The dataset could not be built.", warning };
  }
  if (engine.phase === "closed") {
    return { state: "closed", badge: "Shut down", tone: "off", line: "The engine is closed: the worker is shutting down.", warning };
  }
  if (engine.phase === "dataset" || dataset.state === "building") {
    const percent = formatPercent(dataset.state === "none" ? 0 : dataset.progress);
    const then = job === null ? "jobs start when it is ready." : `job ${name} starts when it is ready.`;
    return { state: "building", badge: `Building dataset ${percent}`, tone: "warn", line: `Building the RandomX dataset; ${then}`, warning };
  }
  if (engine.phase === "starting") {
    return { state: "starting", badge: "Starting", tone: "warn", line: "Starting the RandomX engine.", warning };
  }
  if (job !== null) {
    const percent = formatPercent(fractionDone(job));
    const line = `Job ${name}: ${percent} of the expected hashes at ${formatRate(hashRate)}, ETA ${formatEta(job.etaSeconds, job.hashes, job.expectedHashes)}.`;
    return { state: "working", badge: `Working ${percent}`, tone: "busy", line, warning };
  }
  return { state: "idle", badge: "Idle", tone: "ok", line: "Ready, waiting for post-service to send a job.", warning };
}

/** The share of the expected hashes done; past 1 when the job is unluckier than expected. */
function fractionDone(job: WorkerJob): number {
  return job.hashes / job.expectedHashes;
}
