// The native libraries build.sh puts in build/native/. Imported as files so that `bun build --compile` embeds them
// in the executable (they are then read from Bun's embedded file system); from a checkout they are the files on disk.
import { readFileSync } from "node:fs";
import randomx from "../../build/native/librandomx.so.0" with { type: "file" };
import shim from "../../build/native/libk2pow.so" with { type: "file" };
import versionFile from "../../build/native/librandomx.version" with { type: "file" };
import type { NativePaths } from "./native";

export const nativePaths: NativePaths = { randomx, shim };

/** Debian's package version of the librandomx in use, as recorded by build.sh. */
export function randomxVersion(): string {
  try {
    return readFileSync(versionFile, "utf8").trim();
  } catch {
    return "unknown";
  }
}
