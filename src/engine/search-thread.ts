// The engine's handle on one search Worker: request/reply as promises, and a crash turned into an error value.
import { EngineError } from "./engine-error";
import type { NativePaths } from "./native";
import type { ThreadNotice, ThreadReply, ThreadRequest } from "./thread-messages";

type Success = Exclude<ThreadReply, { type: "error" }>;

export class SearchThread {
  private readonly worker: Worker;
  private pending: { resolve: (reply: Success) => void; reject: (err: Error) => void } | null = null;
  private closing = false;
  /** Why the Worker ended on its own, once it has. */
  crashed: string | null = null;
  /** The address of this thread's VM, so the engine can free it should the thread die. */
  vm: number | null = null;
  /** Hears the shares of the search in progress. */
  onShare: ((nonce: bigint) => void) | null = null;

  private constructor(
    readonly index: number,
    workerUrl: URL | string,
  ) {
    this.worker = new Worker(workerUrl);
    this.worker.addEventListener("message", (event: MessageEvent<ThreadReply | ThreadNotice>) => {
      if (event.data.type === "share") this.onShare?.(event.data.nonce);
      else this.settle(event.data);
    });
    this.worker.addEventListener("error", (event: ErrorEvent) => this.die(errorSummary(event)));
    this.worker.addEventListener("close", () => {
      if (!this.closing) this.die("the thread exited");
    });
  }

  static async start(index: number, workerUrl: URL | string, paths: NativePaths, shared: SharedArrayBuffer) {
    const thread = new SearchThread(index, workerUrl);
    try {
      await thread.request({ type: "open", paths, shared, thread: index });
    } catch (err) {
      thread.terminate();
      throw err;
    }
    return thread;
  }

  /** Sends one request; a thread handles one at a time. */
  request(message: ThreadRequest): Promise<Success> {
    if (this.crashed !== null) return Promise.reject(this.crashError());
    if (this.pending !== null) return Promise.reject(new EngineError(`search thread ${this.index} is busy`));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message);
    });
  }

  /** Ends the Worker; a request still waiting is rejected, and later ones too. */
  terminate(): void {
    this.closing = true;
    this.worker.terminate();
    this.die("ended by the engine");
  }

  private settle(reply: ThreadReply): void {
    const pending = this.pending;
    this.pending = null;
    if (pending === null) return;
    if (reply.type === "error") pending.reject(new EngineError(`search thread ${this.index}: ${reply.message}`));
    else pending.resolve(reply);
  }

  private die(reason: string): void {
    if (this.crashed !== null) return;
    this.crashed = reason;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(this.crashError());
  }

  private crashError(): EngineError {
    return new EngineError(`search thread ${this.index} stopped unexpectedly: ${this.crashed}`);
  }
}

/**
 * The message of a Worker's uncaught error, without what Bun adds around it (a source excerpt and a stack trace),
 * which must never reach a user.
 */
function errorSummary(event: ErrorEvent): string {
  if (event.error instanceof Error && event.error.message) return event.error.message;
  const text = event.message ?? "";
  const line = text.match(/^(?:\w*Error|error): (.+)$/m)?.[1] ?? text.split("\n").find((l) => l.trim() !== "");
  return (line ?? "uncaught error").trim().slice(0, 200);
}
