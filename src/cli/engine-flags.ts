// The engine's flags, named as upstream's worker names them (SPEC §3), plus --pages for choosing a page size.
import type { EngineOptions, ModeRequest } from "../engine/engine";
import type { PageRequest } from "../engine/page-mode";
import { UsageError } from "./usage";

export const engineFlagOptions = {
  "randomx-mode": { type: "string" },
  cores: { type: "string" },
  "randomx-large-pages": { type: "boolean" },
  pages: { type: "string" },
} as const;

export function engineFlagsHelp(defaultMode: ModeRequest): string {
  return `  --randomx-mode MODE    fast (2 GiB dataset, full speed), light (256 MiB, about 5-10x slower) or auto
                         (fast when the memory is there); default ${defaultMode}
  --cores N              search threads; 0 = one per core (default 0)
  --pages MODE           page size for RandomX memory: auto (default: hugetlb, then thp, then plain),
                         hugetlb (reserved huge pages, vm.nr_hugepages), thp (transparent), plain
  --randomx-large-pages  same as --pages hugetlb: fail unless reserved huge pages can be had`;
}

const MODES: readonly ModeRequest[] = ["fast", "light", "auto"];
const PAGES: readonly PageRequest[] = ["auto", "hugetlb", "thp", "plain"];

export function engineOptions(
  values: { "randomx-mode"?: string; cores?: string; "randomx-large-pages"?: boolean; pages?: string },
  defaultMode: ModeRequest,
): EngineOptions {
  const mode = (values["randomx-mode"] ?? defaultMode) as ModeRequest;
  if (!MODES.includes(mode)) throw new UsageError(`--randomx-mode must be fast, light or auto, got '${mode}'`);

  const coresText = values.cores ?? "0";
  const threads = Number(coresText);
  if (!/^[0-9]+$/.test(coresText) || threads > 1024) {
    throw new UsageError(`--cores must be a whole number from 0 (all cores) to 1024, got '${coresText}'`);
  }

  let pages = (values.pages ?? "auto") as PageRequest;
  if (!PAGES.includes(pages)) throw new UsageError(`--pages must be auto, hugetlb, thp or plain, got '${pages}'`);
  if (values["randomx-large-pages"]) {
    if (values.pages !== undefined && pages !== "hugetlb") {
      throw new UsageError(`--randomx-large-pages asks for hugetlb pages, but --pages says ${pages}`);
    }
    pages = "hugetlb";
  }
  return { mode, threads, pages };
}
