// The engine's dataset file, for the life of the engine: read into the dataset at start when a good one is there,
// written in the background after a build when not, and removed when the dataset it gave proves wrong. A file that
// cannot be read or written never stops the engine: it says why once and the dataset is built or kept in memory.
// Once it holds this engine's dataset it is looked for every WATCH_MS: deleted meanwhile (a clean-up script, an
// operator's mistake), it is written again from memory, so the next start still loads it.
import { closeSync, statSync } from "node:fs";
import type { Dataset } from "./dataset";
import { errorText, openDatasetFile, removeIfSame, removeStaleTemporaries, writeDatasetFile, type DatasetIdentity } from "./dataset-file";
import { EngineError, type Note } from "./engine-error";
import type { Native } from "./native";
import { mib } from "./resources";
import type { SearchThreads } from "./search-threads";

export type SaveState = "idle" | "saving" | "saved" | "failed";

/** How often the file is looked for once it holds this engine's dataset. */
const WATCH_MS = 10_000;

export class DatasetStore {
  /** The file holding this engine's dataset, read or written (its inode), so only that one is removed if it proves wrong. */
  private fileInode: number | null = null;
  private saving: { promise: Promise<void>; abort: AbortController } | null = null;
  saveState: SaveState = "idle";
  /** True while a load runs. */
  loading = false;
  /** The path names a file that is not a k2pow dataset file: it is left alone, never written over. */
  private foreign = false;
  private watch: ReturnType<typeof setInterval> | null = null;

  constructor(
    readonly path: string,
    private readonly native: Native,
    private readonly identity: DatasetIdentity,
    private readonly note: Note,
  ) {}

  /**
   * Reads the file into `dataset` on all `threads`, checking every piece; true when the dataset is ready. False,
   * with one note saying why, when there is no usable file: the caller builds instead. Throws only when `stopping`.
   * Thread 0 may still be filling the cache (`firstBusy`): it joins in once that is done, and takes what is left.
   */
  async load(dataset: Dataset, threads: SearchThreads, stopping: () => boolean, firstBusy: Promise<unknown>): Promise<boolean> {
    const started = performance.now();
    const opened = openDatasetFile(this.path, this.identity);
    if ("reason" in opened) {
      if (opened.reason === "absent") this.note(`dataset file ${this.path} not there yet: building the dataset, then saving it there`);
      else if (opened.foreign) {
        this.foreign = true;
        this.note(`${this.path} ${opened.reason}: leaving it alone, building the dataset and keeping it in memory only (choose another --dataset-file)`, "warn");
      } else this.reject(opened.reason, opened.inode);
      return false;
    }
    const { fd, header, inode } = opened;
    let mismatch: string | null = null;
    this.loading = true;
    try {
      threads.shared.resetItemsBuilt();
      threads.shared.beginPieces();
      const memory = dataset.memory;
      const request = () => ({ type: "load", fd, memory, header }) as const;
      const replies = await threads.onEach(
        (thread, i) =>
          i === 0
            ? firstBusy.then(
                () => thread.request(request()),
                // The fill failed, which the engine reports itself; the other threads read every piece meanwhile.
                () => ({ type: "loaded", mismatch: null }) as const,
              )
            : thread.request(request()),
        () => threads.shared.setStopBuild(true),
      );
      mismatch = replies.map((r) => (r.type === "loaded" ? r.mismatch : "a thread answered the load wrongly")).find((m) => m !== null) ?? null;
    } catch (err) {
      if (stopping()) throw new EngineError("the dataset load was stopped");
      threads.shared.setStopBuild(false);
      this.note(`dataset file ${this.path} could not be read (${(err as Error).message}): building the dataset instead`, "warn");
      return false;
    } finally {
      this.loading = false;
      closeSync(fd);
    }
    if (stopping() || threads.shared.stopBuildRequested()) throw new EngineError("the dataset load was stopped");
    if (mismatch !== null) {
      this.reject(mismatch, inode);
      return false;
    }
    this.fileInode = inode;
    const n = threads.size;
    this.note(`dataset loaded from ${this.path} in ${dataset.ready("loaded", started)} on ${n} thread${n === 1 ? "" : "s"}, every piece checked (${dataset.pageNote()})`);
    this.watchFile(dataset);
    return true;
  }

  /** Writes the built dataset to the file in the background; one note says how it went. */
  save(dataset: Pick<Dataset, "memory">): void {
    if (this.saving !== null || this.foreign) return;
    const abort = new AbortController();
    const started = performance.now();
    const stale = removeStaleTemporaries(this.path);
    if (stale.length > 0) this.note(`removed ${stale.length} unfinished dataset file(s) left by a worker that was killed while writing: ${stale.join(", ")}`);
    this.saveState = "saving";
    const promise = writeDatasetFile(this.native, this.path, dataset.memory, this.identity, abort.signal).then(
      (inode) => {
        this.fileInode = inode;
        this.saveState = "saved";
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        this.note(`dataset saved to ${this.path} (${mib(this.identity.bytes)}) in ${seconds} s: the next start loads it instead of building`);
        this.watchFile(dataset);
      },
      (err) => {
        this.saveState = "failed";
        if (abort.signal.aborted) return;
        this.note(`dataset not saved to ${this.path} (${errorText(err)}); serving from memory, and the next start builds it again`, "warn");
      },
    );
    this.saving = { promise: promise.finally(() => (this.saving = null)), abort };
  }

  /**
   * The dataset this file holds (loaded from it or saved to it) proved wrong: a save in progress stops, and the file
   * is removed so that no start loads it again. Says what became of the file, for the caller's note.
   */
  discard(): string {
    this.stopWatching();
    this.saving?.abort.abort();
    if (this.fileInode === null) return this.saving !== null ? `; its save to ${this.path} was stopped` : "";
    const failed = removeIfSame(this.path, this.fileInode);
    this.fileInode = null;
    return failed === null ? `; ${this.path} removed` : `; ${this.path} could not be removed (${failed}): remove it by hand`;
  }

  /** Resolves when no save is in progress (however the last one ended). */
  async saved(): Promise<void> {
    await this.saving?.promise;
  }

  /** Stops a save in progress (its temporary file is removed) and waits for it; the dataset may then be freed. */
  async close(): Promise<void> {
    this.stopWatching();
    const saving = this.saving;
    if (saving === null) return;
    saving.abort.abort();
    await saving.promise;
  }

  /**
   * Looks for the file every WATCH_MS while it holds this engine's dataset: gone, it is written again (atomically, as
   * every save is, so no start ever reads half of it). A file put there by someone else is theirs and left alone.
   */
  private watchFile(dataset: Pick<Dataset, "memory">): void {
    if (this.watch !== null) return;
    this.watch = setInterval(() => {
      if (this.saving !== null || this.fileInode === null) return;
      if (statSync(this.path, { throwIfNoEntry: false }) !== undefined) return;
      this.note(`dataset file ${this.path} was deleted while this worker ran: writing it again from memory`, "warn");
      this.fileInode = null;
      this.save(dataset);
    }, WATCH_MS);
    // Not a reason to keep the process alive.
    this.watch.unref();
  }

  private stopWatching(): void {
    if (this.watch !== null) clearInterval(this.watch);
    this.watch = null;
  }

  private reject(reason: string, inode: number | undefined): void {
    const failed = inode === undefined ? undefined : removeIfSame(this.path, inode);
    const removed = failed === undefined ? "" : failed === null ? "; removed it" : `; could not remove it (${failed})`;
    this.note(`dataset file ${this.path} ${reason}${removed}: building the dataset instead`, "warn");
  }
}
