// A horizontal bar for a fraction done, with its percentage beside it; named for tests by data-field, with the raw
// fraction in data-value.
import { h } from "./dom";
import { formatPercent } from "./format";

export class ProgressBar {
  readonly root: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly fill = h("div", { class: "fill" });
  private readonly label = h("span", { class: "percent num" });

  constructor(name: string) {
    this.bar = h("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" }, this.fill);
    this.root = h("div", { class: "progress", "data-field": name, "data-value": "" }, this.bar, this.label);
  }

  /**
   * A fraction past 1 (a job unluckier than expected) fills the bar and still says how far past it is; a failed
   * build is drawn in red where it stopped.
   */
  set(fraction: number, failed = false): void {
    const clamped = Math.min(Math.max(fraction, 0), 1);
    this.fill.style.width = `${clamped * 100}%`;
    this.fill.classList.toggle("over", fraction > 1);
    this.fill.classList.toggle("failed", failed);
    this.bar.setAttribute("aria-valuenow", String(Math.round(clamped * 100)));
    this.label.textContent = formatPercent(Math.max(fraction, 0));
    this.root.dataset.value = String(fraction);
  }

  /** Nothing to show: no job. */
  clear(): void {
    this.set(0);
    this.root.dataset.value = "";
  }
}
