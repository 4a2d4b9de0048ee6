// The engine as commands start it: its flags, named as upstream's worker names them (SPEC §3), plus --pages for
// choosing a page size and --dataset-file for where the fast-mode dataset is kept between starts; the options they
// make; and starting it, with the one way a command reports that it cannot.
import { homedir } from "node:os";
import { isAbsolute, join, win32 } from "node:path";
import { Type } from "@sinclair/typebox";
import { Engine, type EngineOptions, type ModeRequest } from "../engine/engine";
import { EngineError, type Note } from "../engine/engine-error";
import type { PageRequest } from "../engine/page-mode";
import { field, switchField, UsageError, type Env } from "./config";

const MODES: readonly ModeRequest[] = ["fast", "light", "auto"];
const PAGES: readonly PageRequest[] = ["auto", "hugetlb", "thp", "plain"];

/** Digits only: "1e2" or " 3" are not a thread count someone meant. */
const wholeNumber = (text: string) => (/^[0-9]+$/.test(text) ? Number(text) : undefined);

const DATASET_FILE_NAME = "randomx-dataset.bin";

/**
 * Where the dataset is kept when no --dataset-file is given: the cache directory systemd gives the service
 * (CacheDirectory=, the first of $CACHE_DIRECTORY), else $XDG_CACHE_HOME/k2pow, else ~/.cache/k2pow. On Windows,
 * where programs keep such files under %LOCALAPPDATA%: %LOCALAPPDATA%\k2pow.
 */
export function defaultDatasetFile(env: Env, platform: NodeJS.Platform = process.platform): string {
  const local = env.LOCALAPPDATA;
  if (platform === "win32" && local && win32.isAbsolute(local)) return win32.join(local, "k2pow", DATASET_FILE_NAME);
  const systemd = env.CACHE_DIRECTORY?.split(":")[0];
  if (systemd) return join(systemd, DATASET_FILE_NAME);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "k2pow", DATASET_FILE_NAME);
  return join(env.HOME || homedir(), ".cache", "k2pow", DATASET_FILE_NAME);
}

export const DATASET_FILE = field({
  flag: "dataset-file",
  arg: "PATH",
  schema: Type.String({ minLength: 1 }),
  default: defaultDatasetFile,
  takes: "a file path, or none",
  help:
    "fast mode: where the 2 GiB dataset is saved after a build and loaded from at the next start (checked " +
    "before use), or none; default $CACHE_DIRECTORY, $XDG_CACHE_HOME/k2pow or ~/.cache/k2pow (on Windows " +
    "%LOCALAPPDATA%\\k2pow), file " +
    DATASET_FILE_NAME,
});

/** The four fields and the dataset file; the mode's default is the command's. */
export function engineFields(defaultMode: ModeRequest) {
  return {
    mode: field({
      flag: "randomx-mode",
      arg: "MODE",
      schema: Type.Union(MODES.map((m) => Type.Literal(m))),
      default: defaultMode,
      takes: "fast, light or auto",
      help: `fast (2 GiB dataset, full speed), light (256 MiB, about 5-10x slower) or auto (fast when the memory is there); default ${defaultMode}`,
    }),
    threads: field({
      flag: "cores",
      arg: "N",
      read: wholeNumber,
      schema: Type.Integer({ minimum: 0, maximum: 1024 }),
      default: 0,
      takes: "a whole number from 0 (sized from the CPU's caches) to 1024",
      help: "search threads; 0 = as many as the CPU's caches feed (about 2 MiB of L3 each), at most one per logical CPU; default 0",
    }),
    pages: field({
      flag: "pages",
      arg: "MODE",
      schema: Type.Union(PAGES.map((p) => Type.Literal(p))),
      takes: "auto, hugetlb, thp or plain",
      pairedWith: "randomx-large-pages",
      help: "page size for RandomX memory: auto (hugetlb, then thp, then plain), hugetlb (reserved huge pages, vm.nr_hugepages), thp (transparent) or plain; default auto",
    }),
    largePages: switchField({
      flag: "randomx-large-pages",
      pairedWith: "pages",
      help: "same as --pages hugetlb: fail unless reserved huge pages can be had",
    }),
    datasetFile: DATASET_FILE,
  };
}

/** The engine's dataset file from the flag's value: none turns it off. */
export const datasetFileOption = (value: string): string | null => (value === "none" ? null : value);

/** The engine's options from the four fields' values; the page flags must not contradict each other. */
export function engineOptions(values: {
  mode: ModeRequest;
  threads: number;
  pages: PageRequest | undefined;
  largePages: boolean;
  datasetFile: string;
}): EngineOptions {
  const { mode, threads, pages, largePages } = values;
  const datasetFile = datasetFileOption(values.datasetFile);
  if (!largePages) return { mode, threads, pages: pages ?? "auto", datasetFile };
  if (pages !== undefined && pages !== "hugetlb") throw new UsageError(`--randomx-large-pages asks for hugetlb pages, but --pages says ${pages}`);
  return { mode, threads, pages: "hugetlb", datasetFile };
}

export interface EngineReports {
  /** What the engine decided and why (mode, page size, build time). */
  note: Note;
  error: (message: string) => void;
}

/**
 * The engine, or null once the reason it cannot start (the EngineError's message: what to change, e.g. "use
 * --randomx-mode light") has gone to `reports.error`; the command then exits with EXIT.failed.
 */
export function startEngine(options: EngineOptions, workerUrl: URL, reports: EngineReports): Engine | null {
  try {
    return new Engine({ ...options, workerUrl, onNote: reports.note });
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    reports.error(err.message);
    return null;
  }
}
