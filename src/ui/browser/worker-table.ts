// The pool's workers table. A small fleet: every worker, from /status. A large one, of which /status lists only those
// most worth a look: those by default, and on asking, the whole fleet a page of 50 at a time by label, or the workers
// whose name or address holds a search (GET status/workers).
import { h, setField, show } from "./dom";
import { fetchJson } from "./fetch-json";
import { formatCount } from "./format";
import type { PoolWorkerJson as PoolWorker, WorkerPageJson as WorkerPage } from "../../wire/status";
import { Table } from "./table";
import { WORKER_HEADINGS, workerRow } from "./worker-row";

const PAGE = 50;

export class WorkerTable {
  readonly root: HTMLElement;
  private readonly table = new Table(WORKER_HEADINGS, "No workers connected.", true);
  private readonly input = h("input", { type: "search", placeholder: "name or address", "aria-label": "Search the workers", "data-field": "workerSearch" });
  private readonly listedButton = h("button", { type: "button", "data-field": "showListed" }, "Most worth a look");
  private readonly allButton = h("button", { type: "button", "data-field": "showAll" }, "All workers");
  private readonly previous = h("button", { type: "button" }, "Previous");
  private readonly next = h("button", { type: "button" }, "Next");
  private readonly summary = h("span", { class: "muted", "data-field": "workerTableShows", "data-value": "" });
  private readonly controls = h("div", { class: "row search" }, this.input, this.listedButton, this.allButton, this.previous, this.next, this.summary);
  /** "listed": the workers /status lists; "pages": the fleet or a search of it, a page at a time. */
  private mode: "listed" | "pages" = "listed";
  private offset = 0;
  /** The last ask's number, so that an older answer arriving late does not replace a newer one. */
  private asked = 0;
  private listed: PoolWorker[] = [];
  private total = 0;

  constructor() {
    this.root = h("div", { class: "stack" }, this.controls, this.table.root);
    show(this.controls, false);
    this.input.addEventListener("input", () => this.showPages(0));
    this.allButton.addEventListener("click", () => {
      this.input.value = "";
      this.showPages(0);
    });
    this.listedButton.addEventListener("click", () => {
      this.input.value = "";
      this.mode = "listed";
      this.asked++;
      this.render();
    });
    this.previous.addEventListener("click", () => this.showPages(Math.max(0, this.offset - PAGE)));
    this.next.addEventListener("click", () => this.showPages(this.offset + PAGE));
  }

  /** The workers /status listed, and whether that is the whole fleet (no search then). */
  update(listed: PoolWorker[], whole: boolean, total: number): void {
    this.listed = listed;
    this.total = total;
    show(this.controls, !whole);
    if (whole) this.mode = "listed";
    if (this.mode === "listed") this.render();
  }

  private render(): void {
    show(this.previous, false);
    show(this.next, false);
    this.listedButton.disabled = true;
    setField(this.summary, `The ${formatCount(this.listed.length)} of ${formatCount(this.total)} most worth a look: the suspicious, then the slowest`, "listed");
    this.table.render(this.listed.map(workerRow));
  }

  private showPages(offset: number): void {
    this.mode = "pages";
    this.offset = offset;
    void this.load();
  }

  private async load(): Promise<void> {
    const ask = ++this.asked;
    const query = new URLSearchParams({ search: this.input.value.trim(), offset: String(this.offset), limit: String(PAGE) });
    const got = await fetchJson(`status/workers?${query}`);
    if (ask !== this.asked || this.mode !== "pages") return;
    if (!got.ok) {
      setField(this.summary, `Could not load the workers: ${got.reason}`, null);
      return;
    }
    const page = got.body as WorkerPage;
    const last = Math.min(page.offset + page.workers.length, page.matched);
    const shown = page.workers.length === 0 ? "none" : `${formatCount(page.offset + 1)}–${formatCount(last)}`;
    const matching = this.input.value.trim() === "" ? "" : ` matching, of ${formatCount(page.total)} workers`;
    setField(this.summary, `${shown} of ${formatCount(page.matched)}${matching}`, page.matched);
    this.listedButton.disabled = false;
    show(this.previous, true);
    show(this.next, true);
    this.previous.disabled = page.offset === 0;
    this.next.disabled = last >= page.matched;
    this.table.render(page.workers.map(workerRow));
  }
}
