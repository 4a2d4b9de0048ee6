// examples/systemd/k2pow.service as systemd itself reads it (systemd-analyze verify, from Debian's systemd
// package), pointed at the built executable: verify insists that ExecStart's program exists.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./support/run";

const root = join(import.meta.dir, "..");
const unit = readFileSync(join(root, "examples", "systemd", "k2pow.service"), "utf8");

test("systemd-analyze verify accepts the unit", async () => {
  const exe = join(root, "dist", `k2pow-linux-${process.arch}`);
  const local = unit.replace(/^ExecStart=\/usr\/local\/bin\/k2pow$/m, `ExecStart=${exe}`);
  expect(local.split("\n").filter((line, i) => line !== unit.split("\n")[i])).toEqual([`ExecStart=${exe}`]);
  const dir = mkdtempSync(join(tmpdir(), "k2pow-unit-"));
  writeFileSync(join(dir, "k2pow.service"), local);
  const { stdout: out, stderr: err, code } = await run(["systemd-analyze", "verify", join(dir, "k2pow.service")]);
  rmSync(dir, { recursive: true });
  expect(out + err).toBe("");
  expect(code).toBe(0);
});

test("the unit restarts on failure, runs as its own user, and leaves the RandomX JIT able to work", () => {
  expect(unit).toMatch(/^Restart=on-failure$/m);
  expect(unit).toMatch(/^DynamicUser=yes$/m);
  expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
  // The JIT writes machine code and runs it; this would kill every job with SIGSEGV.
  expect(unit).not.toMatch(/^MemoryDenyWriteExecute=/m);
});
