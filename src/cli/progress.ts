// Steady progress lines on stderr while the engine builds its dataset or searches, for people and for logs.
import type { Engine } from "../engine/engine";

export function reportProgress(engine: Engine, expectedHashes: number, everyMs = 10_000): () => void {
  const timer = setInterval(() => {
    const s = engine.status();
    if (s.phase === "dataset" && s.dataset) {
      const pct = (100 * s.dataset.itemsBuilt) / s.dataset.items;
      console.error(`k2pow: building dataset: ${pct.toFixed(0)}%`);
    } else if (s.searching) {
      const rate = Number(s.searching.hashes) / Math.max(s.searching.seconds, 1e-9);
      console.error(
        `k2pow: searching: ${s.searching.hashes} hashes in ${s.searching.seconds.toFixed(0)} s, ` +
          `${rate.toFixed(1)} H/s (about ${Math.round(expectedHashes).toLocaleString("en-US")} expected)`,
      );
    }
  }, everyMs);
  return () => clearInterval(timer);
}
