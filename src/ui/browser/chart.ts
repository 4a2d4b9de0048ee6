// The hash rate over the last hour as a uPlot line chart: the total, and on a pool one thinner line per worker.
import uPlot from "uplot";
import { h } from "./dom";
import { formatClock, formatRate } from "./format";
import type { RatePoint as HistoryPoint } from "../../wire/status";

const TOTAL_COLOR = "#1d4ed8";
const WORKER_COLORS = ["#0d9488", "#d97706", "#9333ea", "#dc2626", "#65a30d", "#db2777", "#0891b2", "#78716c"];
/** Ticks on the time axis fall on whole seconds, minutes or hours, never between. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
const AXIS = { stroke: "#57606a", font: "12px system-ui, sans-serif", grid: { stroke: "#eceef1", width: 1 }, ticks: { show: false } };

export class RateChart {
  /** The chart's box; data-points says how many points it shows. */
  readonly root: HTMLElement;
  private readonly note: HTMLElement;
  private readonly plotBox: HTMLElement;
  private plot: uPlot | null = null;
  /** The workers drawn, in series order: a new one means a new chart. */
  private workers: string[] = [];
  /**
   * The colour of each worker drawn, kept while it stays in the history; only those drawn are held, so that the map
   * does not grow with every worker that ever came and went while the page stays open.
   */
  private readonly colors = new Map<string, string>();
  private readonly resizes = new ResizeObserver(() => this.plot?.setSize(this.size()));

  constructor(private readonly perWorker: boolean) {
    this.note = h("p", { class: "empty" }, "No points yet: the first comes within a few seconds.");
    this.plotBox = h("div", { class: "plot" });
    this.root = h("div", { class: "chart", "data-points": "0" }, this.plotBox, this.note);
    this.resizes.observe(this.plotBox);
  }

  show(points: HistoryPoint[]): void {
    this.root.dataset.points = String(points.length);
    this.note.hidden = points.length > 0;
    this.plotBox.hidden = points.length === 0;
    if (points.length === 0) return;
    const workers = this.perWorker ? workersIn(points) : [];
    const data: uPlot.AlignedData = [
      points.map((point) => point.at / 1000),
      points.map((point) => point.total),
      ...workers.map((name) => points.map((point) => point.workers?.[name] ?? null)),
    ];
    if (this.plot !== null && sameList(workers, this.workers)) {
      this.plot.setData(data);
      return;
    }
    this.workers = workers;
    this.plot?.destroy();
    this.plot = new uPlot(this.options(workers, this.colorsOf(workers)), data, this.plotBox);
  }

  /** Lets go of uPlot and the resize observer, for a chart that is taken off the page. */
  destroy(): void {
    this.resizes.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  /** Says why there is no chart when the history cannot be had and none is held. */
  unavailable(reason: string): void {
    if (this.root.dataset.points !== "0") return;
    this.note.textContent = `No hash-rate history: ${reason}.`;
  }

  private size(): { width: number; height: number } {
    const width = Math.max(this.plotBox.clientWidth, 200);
    return { width, height: width < 500 ? 180 : 240 };
  }

  private options(workers: string[], colors: string[]): uPlot.Options {
    const rate = (_: uPlot, value: number | null) => (value === null ? "—" : formatRate(value));
    const series: uPlot.Series[] = [
      { label: "time", value: (_u, seconds) => (seconds === null ? "—" : formatClock(seconds * 1000)) },
      {
        label: this.perWorker ? "total" : "hash rate",
        stroke: TOTAL_COLOR,
        width: this.perWorker ? 2.5 : 2,
        fill: this.perWorker ? undefined : "rgba(29, 78, 216, 0.08)",
        value: rate,
      },
      ...workers.map((name, i) => ({ label: name, stroke: colors[i], width: 1.25, value: rate })),
    ];
    return {
      ...this.size(),
      series,
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      axes: [
        { ...AXIS, space: 60, incrs: TIME_STEPS, values: (_u, splits) => splits.map((seconds) => clockTick(seconds, splits)) },
        { ...AXIS, size: 76, values: (_u, splits) => splits.map((value) => formatRate(value)) },
      ],
      cursor: { points: { size: 6 } },
      // Away from the cursor, the legend shows the newest values rather than dashes.
      hooks: {
        setCursor: [(plot) => { if (plot.cursor.idx == null) showNewest(plot); }],
        setData: [showNewest],
      },
    };
  }

  /** The colours of `workers`, in order: those already drawn keep theirs, a new one takes one no other has while any is free. */
  private colorsOf(workers: string[]): string[] {
    for (const name of this.colors.keys()) if (!workers.includes(name)) this.colors.delete(name);
    return workers.map((name) => {
      let color = this.colors.get(name);
      if (color === undefined) {
        const taken = new Set(this.colors.values());
        color = WORKER_COLORS.find((c) => !taken.has(c)) ?? WORKER_COLORS[this.colors.size % WORKER_COLORS.length] ?? TOTAL_COLOR;
        this.colors.set(name, color);
      }
      return color;
    });
  }
}

/** "14:05", or "14:05:30" when the ticks are less than a minute apart. */
function clockTick(seconds: number, splits: number[]): string {
  const step = (splits[1] ?? Infinity) - (splits[0] ?? 0);
  const clock = formatClock(seconds * 1000);
  return step < 60 ? clock : clock.slice(0, 5);
}

function showNewest(plot: uPlot): void {
  const newest = (plot.data[0]?.length ?? 0) - 1;
  if (newest >= 0) plot.setLegend({ idx: newest }, false);
}

/** Every worker seen in the points, in the order they first appear. */
function workersIn(points: HistoryPoint[]): string[] {
  const seen = new Set<string>();
  for (const point of points) for (const name of Object.keys(point.workers ?? {})) seen.add(name);
  return [...seen];
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
