// The arm64 release executable (build.sh release) under qemu-user with Debian's arm64 glibc and libstdc++: the
// hashes of the reference vectors through `k2pow verify` in light mode, and GET / when it serves. Runs where the
// tools are (.ci/run installs them and builds the release); elsewhere it says why it did not.
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startK2pow } from "./support/k2pow-process";
import { run } from "./support/run";
import { hashVectors } from "./support/vectors";

const largestNonce = hashVectors.reduce((a, b) => (BigInt(b.nonce) > BigInt(a.nonce) ? b : a));

const root = join(import.meta.dir, "..");
const exe = join(root, "dist", "k2pow-linux-arm64");
const qemu = Bun.which("qemu-aarch64-static");
const missing = [qemu ? null : "qemu-aarch64-static (Debian's qemu-user-static)", existsSync(exe) ? null : `${exe} (bash build.sh release)`].filter(Boolean);
// CI installs and builds all of it: there, anything missing is a failure, not a reason to skip.
const skip = missing.length > 0 && !process.env.CI;
if (skip) console.log(`arm64 tests not run: missing ${missing.join(", ")}`);

describe.skipIf(skip)("dist/k2pow-linux-arm64 under qemu-user", () => {
  let sysroot = "";
  const inEmptyDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "k2pow-arm64-"));
    copyFileSync(exe, join(dir, "k2pow-linux-arm64"));
    return { dir, exe: join(dir, "k2pow-linux-arm64") };
  };

  test("finds its arm64 system libraries", async () => {
    expect(missing).toEqual([]);
    const prepared = await run(["bash", join(root, "test", "fixtures", "arm64-sysroot.sh")]);
    expect(prepared.code).toBe(0);
    sysroot = join(root, "build", "arm64-sysroot");
  }, 120_000);

  test("names its target and the librandomx inside", async () => {
    const { dir, exe: alone } = inEmptyDir();
    const version = await run([qemu!, "-L", sysroot, alone, "--version"], { env: {} });
    expect(version.stdout).toBe("k2pow 0.1.0 (linux-arm64, bun 1.4.5, librandomx 1.1.10-2)\n");
    rmSync(dir, { recursive: true });
  }, 60_000);

  // One vector's hash checks the whole chain under emulation (cache, VM, input; each run costs seconds of qemu); the
  // encoding of every vector's input is the same code, checked against all of them on x64. The largest nonce.
  test.each([largestNonce].map((v) => [v.nonce, v] as const))(
    "k2pow verify reproduces the vector hash of nonce %s (light mode)",
    async (nonce, v) => {
      const { dir, exe: alone } = inEmptyDir();
      const args = ["verify", v.miner, String(v.nonce_group), v.challenge, "ff".repeat(32), nonce];
      const result = await run([qemu!, "-L", sysroot, alone, ...args], { env: {} });
      expect(result.stdout).toBe(`valid ${v.hash}\n`);
      expect(result.code).toBe(0);
      rmSync(dir, { recursive: true });
    },
    120_000,
  );

  test("serves: GET / answers the health body", async () => {
    const { dir, exe: alone } = inEmptyDir();
    const w = await startK2pow([qemu!, "-L", sysroot, alone, "-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1"], {
      env: {},
      cwd: dir,
      startMs: 90_000, // emulated
    });
    expect(await (await fetch(w.base + "/")).text()).toBe("{ 'message': 'ok' }");
    w.proc.kill("SIGTERM");
    await w.exited;
    rmSync(dir, { recursive: true });
  }, 120_000);
});
