// What this build is: the version, the CPU target it was built for, and the librandomx inside.
import pkg from "../package.json";
import { randomxVersion } from "./engine/native-paths";

export const VERSION = pkg.version;
/** Set by build.sh for a compiled executable (--define); a run from source says so. */
export const TARGET = process.env.K2POW_BUILD_TARGET ?? `linux-${process.arch} (from source)`;

export function versionLine(): string {
  return `k2pow ${VERSION} (${TARGET}, bun ${Bun.version}, librandomx ${randomxVersion()})`;
}
