// Starting the search engine for a command, with the one way a command reports that it cannot: the EngineError's
// message (what to change, e.g. "use --randomx-mode light"), and the command exits with EXIT.failed.
import { Engine, type EngineOptions } from "../engine/engine";
import { EngineError, type Note } from "../engine/engine-error";

export interface EngineReports {
  /** What the engine decided and why (mode, page size, build time). */
  note: Note;
  error: (message: string) => void;
}

/** The engine, or null once the reason it cannot start has gone to `reports.error`. */
export function startEngine(options: EngineOptions, workerUrl: URL, reports: EngineReports): Engine | null {
  try {
    return new Engine({ ...options, workerUrl, onNote: reports.note });
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    reports.error(err.message);
    return null;
  }
}
