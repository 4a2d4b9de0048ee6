// Where build.sh puts the native libraries for this machine. K2POW_NATIVE_DIR points elsewhere (a test, a package).
import { join } from "node:path";
import { readFileSync } from "node:fs";
import type { NativePaths } from "./native";

const dir = process.env.K2POW_NATIVE_DIR ?? join(import.meta.dir, "..", "..", "build", "native");

export const nativePaths: NativePaths = {
  randomx: join(dir, "librandomx.so.0"),
  shim: join(dir, "libk2pow.so"),
};

/** Debian's package version of the librandomx in use, as recorded by build.sh. */
export function randomxVersion(): string {
  try {
    return readFileSync(join(dir, "librandomx.version"), "utf8").trim();
  } catch {
    return "unknown";
  }
}
