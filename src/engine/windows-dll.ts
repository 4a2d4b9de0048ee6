// Windows loads a DLL only from a real file. Bun unpacks a DLL embedded in the executable into %TEMP% by itself, but
// through an NT device path (\Device\HarddiskVolume1\…) that wine cannot open, and then fails with error 126. So the
// engine unpacks it: once, under a name made from its contents, so every search thread and every later start of the
// same build loads the same file (a loaded DLL cannot be overwritten or removed on Windows anyway).
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A path LoadLibrary can open for `path`: the file itself from a checkout, a copy in %TEMP% when it is embedded. */
export function loadableDll(path: string): string {
  if (!/^B:[\\/]~BUN[\\/]/i.test(path)) return path;
  const bytes = readFileSync(path);
  const target = join(tmpdir(), `k2pow-${Bun.hash(bytes).toString(16)}.dll`);
  if (existsSync(target) && statSync(target).size === bytes.length) return target;
  // Written beside it and renamed into place, so that no thread or other process loads a half-written file.
  const partial = `${target}.${process.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  writeFileSync(partial, bytes);
  try {
    renameSync(partial, target);
  } catch (err) {
    // Another thread or process put it there first and has it loaded; theirs is the same bytes.
    rmSync(partial, { force: true });
    if (!existsSync(target)) throw err;
  }
  return target;
}
