// What every command gets from the entry point.

export interface CommandContext {
  /**
   * The search thread's script. Computed in src/main.ts because a compiled executable embeds it relative to the
   * entry point (as engine/search-worker.js), not relative to the engine module.
   */
  workerUrl: URL;
}
