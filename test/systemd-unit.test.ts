// The examples in examples/systemd/ as systemd itself reads them (systemd-analyze verify, from Debian's systemd
// package), pointed at the built executable: verify insists that ExecStart's program exists.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./support/run";

const root = join(import.meta.dir, "..");
const UNITS = ["k2pow.service", "k2pow-pool.service", "k2pow-join.service"];
const unitText = (name: string) => readFileSync(join(root, "examples", "systemd", name), "utf8");

for (const name of UNITS) {
  test(`systemd-analyze verify accepts ${name}`, async () => {
    const unit = unitText(name);
    const exe = join(root, "dist", `k2pow-linux-${process.arch}`);
    const local = unit.replace(/^ExecStart=\/usr\/local\/bin\/k2pow\b/m, `ExecStart=${exe}`);
    expect(local.split("\n").filter((line, i) => line !== unit.split("\n")[i])).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), "k2pow-unit-"));
    try {
      writeFileSync(join(dir, name), local);
      const { stdout: out, stderr: err, code } = await run(["systemd-analyze", "verify", join(dir, name)]);
      expect(out + err).toBe("");
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test(`${name} restarts on failure but not on a bad setting, runs as its own user, and leaves the RandomX JIT able to work`, () => {
    const unit = unitText(name);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
    expect(unit).toMatch(/^DynamicUser=yes$/m);
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
    // The JIT writes machine code and runs it; this would kill every job with SIGSEGV.
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=/m);
  });
}

test("the pool keeps its database in a state directory of its own, and the worker for a pool needs its URL and token", () => {
  const pool = unitText("k2pow-pool.service");
  expect(pool).toMatch(/^ExecStart=\/usr\/local\/bin\/k2pow pool$/m);
  expect(pool).toMatch(/^StateDirectory=k2pow-pool$/m);
  expect(pool).toMatch(/^Environment=K2POW_DB=\/var\/lib\/k2pow-pool\/pool\.db$/m);
  const joiner = unitText("k2pow-join.service");
  expect(joiner).toMatch(/^ExecStart=\/usr\/local\/bin\/k2pow join \$\{K2POW_POOL_URL\}$/m);
  // Not optional ("-"): without the pool's address and token the worker cannot run.
  expect(joiner).toMatch(/^EnvironmentFile=\/etc\/default\/k2pow-join$/m);
});
