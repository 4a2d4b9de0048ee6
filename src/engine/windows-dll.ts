// Windows loads a DLL only from a real file. Bun unpacks a DLL embedded in the executable into %TEMP% by itself, but
// through an NT device path (\Device\HarddiskVolume1\…) that wine cannot open, and then fails with error 126. So the
// engine unpacks it: once, under a name made from its contents, so every search thread and every later start of the
// same build loads the same file (a loaded DLL cannot be overwritten or removed on Windows anyway). Into the user's
// own %LOCALAPPDATA%\k2pow, not %TEMP%: a shared temporary folder (C:\Windows\Temp for a service account) would let
// another user put a DLL of theirs there first, so a file found in place is used only if it holds the same bytes.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** A path LoadLibrary can open for `path`: the file itself from a checkout, a private copy when it is embedded. */
export function loadableDll(path: string): string {
  if (!/^B:[\\/]~BUN[\\/]/i.test(path)) return path;
  const bytes = readFileSync(path);
  const dir = join(process.env.LOCALAPPDATA || join(homedir(), "AppData", "Local"), "k2pow");
  mkdirSync(dir, { recursive: true });
  const target = join(dir, `k2pow-${Bun.hash(bytes).toString(16)}.dll`);
  if (existsSync(target) && readFileSync(target).equals(bytes)) return target;
  // Written beside it and renamed into place, so that no thread or other process loads a half-written file.
  const partial = `${target}.${process.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  writeFileSync(partial, bytes);
  try {
    renameSync(partial, target);
  } catch (err) {
    // Another thread or process put it there first and has it loaded: used only if it is the same bytes.
    rmSync(partial, { force: true });
    if (!existsSync(target) || !readFileSync(target).equals(bytes)) throw err;
  }
  return target;
}
