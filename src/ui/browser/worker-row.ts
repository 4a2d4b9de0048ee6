// One row of a pool's worker table: on /ui's workers card and in its search of the whole fleet.
import { formatClock, formatCount, formatDuration, formatRate } from "./format";
import type { PoolWorkerJson as PoolWorker } from "../../wire/status";
import { cell } from "./table";

/** The table's headings, in the order of workerRow's cells. */
export const WORKER_HEADINGS = ["Worker", "Address", "Threads", "Rate", "Checked", "Rejected", "Ranges proven", "Connected since"];

export function workerRow(worker: PoolWorker) {
  const since = Date.now() - worker.connectedSeconds * 1000;
  const { checked, rejected, received } = worker.shares;
  return {
    attrs: { "data-worker": worker.label },
    cells: [
      cell(worker.label, { cls: "strong name" }),
      cell(worker.remote, { cls: "mono" }),
      cell(`${worker.threads} × ${worker.mode}`, { cls: "num", title: `${worker.threads} threads in ${worker.mode} mode` }),
      cell(worker.hashRate === null ? "measuring…" : formatRate(worker.hashRate), {
        cls: "num",
        field: "workerHashRate",
        value: worker.hashRate,
      }),
      cell(formatCount(checked), { cls: "num", field: "sharesChecked", value: checked, title: `${formatCount(received)} received` }),
      cell(formatCount(rejected), { cls: rejected > 0 ? "num bad" : "num", field: "sharesRejected", value: rejected }),
      cell(`${formatCount(worker.claims.proven)} of ${formatCount(worker.claims.ranges)}`, {
        cls: "num",
        field: "rangesProven",
        value: worker.claims.proven,
        title: "ranges it reported searched, and of those, proven searched by their checked shares",
      }),
      cell(`${formatClock(since)} · ${formatDuration(worker.connectedSeconds)}`, { cls: "num" }),
    ],
  };
}
