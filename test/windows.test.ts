// The Windows release executable (build.sh release) under wine 10, in a Debian trixie root (test/support/wine.ts):
// the reference vectors through `verify` and `prove`, a job over loopback from post-service's side, --bench, and the
// line that says how to get large pages. The root has no Z: drive, so the executable sees no Linux file (/proc,
// /sys) and takes its Windows paths, as on Windows. Needs root (chroot, mounts) and debootstrap; .ci/run has both, and
// there anything missing is a failure; elsewhere the file says why it did not run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { askLikePostService } from "../src/client/post-service-client";
import { startK2pow, withDatasetFile } from "./support/k2pow-process";
import { run } from "./support/run";
import { hashVectors, smallestVectors } from "./support/vectors";

const largestNonce = hashVectors.reduce((a, b) => (BigInt(b.nonce) > BigInt(a.nonce) ? b : a));
import { startWine, type Wine } from "./support/wine";

const exe = join(import.meta.dir, "..", "dist", "k2pow-windows-x64.exe");
const missing = [
  existsSync(exe) ? null : `${exe} (bash build.sh release)`,
  process.getuid?.() === 0 ? null : "root (for chroot and mounts)",
  Bun.which("debootstrap") ? null : "debootstrap (Debian's debootstrap)",
  Bun.which("unshare") ? null : "unshare (Debian's util-linux)",
].filter(Boolean);
// CI installs and builds all of it: there, anything missing is a failure, not a reason to skip.
const skip = missing.length > 0 && !process.env.CI;
if (skip) console.log(`Windows tests not run: missing ${missing.join(", ")}`);

/** Vectors whose smallest valid nonce is small: found in a few light-mode hashes. */
const easy = smallestVectors.filter((v) => BigInt(v.smallest_valid_nonce) < 20n);

describe.skipIf(skip)("dist/k2pow-windows-x64.exe under wine", () => {
  let wine: Wine;
  const k2pow = async (...args: string[]) => run(wine.command(args), { env: withDatasetFile(wine.env()) });

  beforeAll(async () => {
    if (missing.length > 0) throw new Error(`cannot run the Windows executable: missing ${missing.join(", ")}`);
    wine = await startWine(exe);
    console.log(`wine root ready in ${wine.setUpSeconds.toFixed(1)} s`);
  }, 600_000); // a machine's first run makes the root: about two minutes here

  afterAll(async () => {
    await wine?.close();
  }, 30_000);

  test("names its target and the librandomx inside", async () => {
    // The whole result, so that a failure shows what wine said on stderr.
    expect(await k2pow("--version")).toMatchObject({ stdout: "k2pow 0.1.0 (windows-x64, bun 1.4.5, librandomx 1.1.10)\n", code: 0 });
  });

  // One vector's hash checks the whole chain (cache, VM, input); the encoding of every vector's input is the same
  // code, checked against all of them on Linux. The largest nonce: all seven of its bytes used.
  test.each([largestNonce].map((v) => [v.nonce, v] as const))(
    "verify reproduces the vector hash of nonce %s",
    async (nonce, v) => {
      const { stdout, code } = await k2pow("verify", v.miner, String(v.nonce_group), v.challenge, "ff".repeat(32), nonce);
      expect(stdout).toBe(`valid ${v.hash}\n`);
      expect(code).toBe(0);
    },
  );

  test("verify calls a nonce invalid when its hash is not below the difficulty (the hash itself)", async () => {
    const v = hashVectors[0]!;
    const { stdout, code } = await k2pow("verify", v.miner, String(v.nonce_group), v.challenge, v.hash, v.nonce);
    expect(stdout).toBe(`invalid ${v.hash}\n`);
    expect(code).toBe(1);
  });

  test("prove finds the vector's smallest valid nonce (one thread, light mode)", async () => {
    const v = easy[0]!;
    const { stdout, stderr, code } = await k2pow("prove", v.miner, String(v.nonce_group), v.challenge, v.difficulty, "--randomx-mode", "light", "--cores", "1");
    expect(stdout).toBe(`${v.smallest_valid_nonce}\n`);
    expect(stderr).toMatch(/light mode ready: 1 thread, plain pages, self-test passed/);
    expect(code).toBe(0);
  });

  test("serves post-service over loopback, and Ctrl+C (SIGINT) stops it cleanly", async () => {
    const w = await startK2pow(wine.command(["-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1"]), {
      env: wine.env(),
      startMs: 60_000,
    });
    expect(await (await fetch(w.base + "/")).text()).toBe("{ 'message': 'ok' }");
    const groups = easy.slice(0, 2).map((v) => ({ miner: v.miner, nonceGroup: v.nonce_group, challenge: v.challenge, difficulty: v.difficulty }));
    const seen = new Set<number | string>();
    const outcomes = await askLikePostService(groups, { url: w.base, parallelism: 2, backoffMs: 100, timeoutMs: 60_000, onAnswer: (_, s) => seen.add(s) });
    expect(outcomes.map((o) => (o.ok ? String(o.nonce) : o.error))).toEqual(easy.slice(0, 2).map((v) => v.smallest_valid_nonce));
    expect([...seen].every((s) => s === 200 || s === 201 || s === 429)).toBe(true);
    // What Ctrl+C in its console sends; wine hands a Linux SIGINT on as that.
    w.proc.kill("SIGINT");
    expect(await w.exited).toBe(0);
    expect(w.log()).toMatch(/shutting down[^]*stopped/);
  });

  test("pool and join: a pool and its worker, both on Windows, answer post-service", async () => {
    const env = wine.env({ K2POW_WORKER_TOKEN: "a-token-of-16-or-more-characters" });
    const pool = await startK2pow(wine.command(["pool", "-b", "127.0.0.1:0", "--db", ":memory:", "--check-mode", "light"]), { env, startMs: 60_000 });
    const port = new URL(pool.base).port;
    await startK2pow(wine.command(["join", `http://127.0.0.1:${port}`, "--randomx-mode", "light", "--cores", "1"]), {
      env,
      startMs: 60_000,
      ready: /connected to the pool/,
    });
    // One worker of one thread searches from nonce 0 up, so the answer is the smallest valid nonce.
    const v = easy[1]!;
    const [outcome] = await askLikePostService([{ miner: v.miner, nonceGroup: v.nonce_group, challenge: v.challenge, difficulty: v.difficulty }], {
      url: pool.base,
      parallelism: 1,
      backoffMs: 100,
      timeoutMs: 60_000,
    });
    expect(outcome!.ok ? String(outcome!.nonce) : outcome!.error).toBe(v.smallest_valid_nonce);
  });

  test("probe, from Windows, checks a worker on the Linux side end to end", async () => {
    const main = join(import.meta.dir, "..", "src", "main.ts");
    const worker = await startK2pow([process.execPath, main, "-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1"]);
    const { stdout, code } = await k2pow("probe", worker.base, "--groups", "2", "--parallelism", "2", "--backoff", "0.2", "--timeout", "60");
    expect(stdout).toContain("OK: every group got a valid nonce; post-service would have succeeded");
    expect(code).toBe(0);
  });

  test("--bench measures, with Windows' memory and CPU figures (no /proc there)", async () => {
    const { stdout, stderr, code } = await k2pow("--bench", "--randomx-mode", "light", "--seconds", "1", "--json");
    expect({ code, stderr }).toMatchObject({ code: 0, stderr: expect.stringContaining("hashing on 1 thread(s)") });
    const result = JSON.parse(stdout) as Record<string, unknown> & { byThreads: { hashesPerSecond: number }[] };
    expect(result).toMatchObject({ target: "windows-x64", mode: "light", librandomx: "1.1.10" });
    expect(result.cpu).not.toBe("unknown CPU"); // from Windows, since /proc/cpuinfo is out of reach
    console.log(`CPU as Windows names it under wine: ${result.cpu}`);
    expect(result.availableMemoryBytes as number).toBeGreaterThan(256 * 1024 * 1024); // os.freemem, not MemAvailable
    expect(result.threadsReason).toMatch(/no CPU cache sizes readable on Windows, so one per logical CPU/);
    expect(result.byThreads.length).toBeGreaterThan(0);
    for (const m of result.byThreads) expect(m.hashesPerSecond).toBeGreaterThan(0);
  });

  // Wine has no "Lock pages in memory" right to grant, so what Windows gives an account that holds it (VirtualAlloc
  // with MEM_LARGE_PAGES) cannot be shown here; what can be is that asking for large pages without the right gives
  // the one line that says how to get it.
  test("large pages asked for without the right: one line on how to grant Lock pages in memory", async () => {
    const v = easy[0]!;
    const { stdout, stderr, code } = await k2pow("prove", v.miner, String(v.nonce_group), v.challenge, v.difficulty, "--randomx-mode", "light", "--cores", "1", "--pages", "hugetlb");
    expect(stdout).toBe("");
    expect(stderr).toMatch(
      /k2pow: cannot allocate the 256 MiB cache in large pages: Windows large pages need the "Lock pages in memory" right: run secpol\.msc, Local Policies → User Rights Assignment → Lock pages in memory, add the account that runs k2pow, then sign out and in again\n/,
    );
    expect(code).toBe(3);
  });

  test("the DLL inside needs only Windows' own DLLs (librandomx, libstdc++, libgcc and winpthread linked in)", async () => {
    const dll = join(import.meta.dir, "..", "build", "native-windows-x64", "libk2pow.so");
    const { stdout, code } = await run(["x86_64-w64-mingw32-objdump", "-p", dll]);
    expect(code).toBe(0);
    const imports = [...stdout.matchAll(/^\s*DLL Name: (\S+)$/gm)].map((m) => m[1]!.toUpperCase()).sort();
    expect(imports).toEqual(["ADVAPI32.DLL", "KERNEL32.DLL", "MSVCRT.DLL"]);
  });
});
