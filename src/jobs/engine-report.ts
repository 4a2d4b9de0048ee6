// The engine's state in the words /status uses, so a user reads whether the dataset is still building, failed, or
// ready and how long it took.
import type { EngineStatus } from "../engine/engine";
import type { DatasetReport, EngineReport } from "../wire/status";

export function engineReport(engine: EngineStatus): { engine: EngineReport; dataset: DatasetReport } {
  const { phase, mode, pages, hugePageBytes, threads, threadsReason, error, dataset } = engine;
  return {
    engine: { phase, mode, pages, hugePageBytes, threads, threadsReason, error },
    dataset:
      dataset === null
        ? { state: "none" }
        : {
            state:
              phase === "dataset" ? (dataset.loading ? "loading" : "building") : phase === "failed" ? "failed" : dataset.seconds === null ? "pending" : "ready",
            progress: dataset.items === 0 ? 0 : dataset.itemsBuilt / dataset.items,
            buildSeconds: dataset.seconds,
            source: dataset.source,
            builtWith: dataset.builtWith,
            file: dataset.file,
          },
  };
}
