// The release executables of this architecture (build.sh puts them in dist/), each copied alone into an empty
// directory and started with an empty environment: nothing of Bun, Node or librandomx comes from the machine.
import { describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startK2pow } from "./support/k2pow-process";
import { pollUntilAnswered } from "./support/poll";
import { run } from "./support/run";
import { hashVectors, smallestVectors } from "./support/vectors";
import { jobPath } from "./support/worker";

const variants = process.arch === "x64" ? ["linux-x64", "linux-x64-baseline"] : [`linux-${process.arch}`];
const dist = join(import.meta.dir, "..", "dist");
const v = smallestVectors.find((x) => x.smallest_valid_nonce === "10")!;
const easy = { miner: v.miner, nonceGroup: v.nonce_group, challenge: v.challenge, difficulty: v.difficulty };
/** What the executable may load from the machine: glibc, libgcc and libstdc++. */
const SYSTEM_LIBRARIES = /\/(ld-linux-[\w-]+\.so\.2|lib(c|m|dl|pthread|rt|gcc_s)\.so\.\d+|libstdc\+\+\.so\.[\d.]+)$/;

function alone(variant: string): { dir: string; exe: string } {
  const dir = mkdtempSync(join(tmpdir(), "k2pow-alone-"));
  const exe = join(dir, `k2pow-${variant}`);
  copyFileSync(join(dist, `k2pow-${variant}`), exe);
  return { dir, exe };
}

describe.each(variants)("dist/k2pow-%s", (variant) => {
  test("names its target and the librandomx inside", async () => {
    const { dir, exe } = alone(variant);
    const child = Bun.spawn([exe, "--version"], { env: {}, cwd: dir, stdout: "pipe" });
    expect(await new Response(child.stdout).text()).toBe(`k2pow 0.1.0 (${variant}, bun 1.4.5, librandomx 1.1.10-2)\n`);
    expect(await child.exited).toBe(0);
    rmSync(dir, { recursive: true });
  });

  test("alone, with an empty environment, reproduces vector hashes through k2pow verify (light mode)", async () => {
    const { dir, exe } = alone(variant);
    for (const vector of hashVectors.slice(0, 3)) {
      const args = ["verify", vector.miner, String(vector.nonce_group), vector.challenge, "ff".repeat(32), vector.nonce];
      const result = await run([exe, ...args], { env: {} });
      expect(result.stdout).toBe(`valid ${vector.hash}\n`);
      expect(result.code).toBe(0);
    }
    rmSync(dir, { recursive: true });
  });

  test("alone, with an empty environment, answers GET / and finishes a light-mode job", async () => {
    const { dir, exe } = alone(variant);
    const w = await startK2pow([exe, "-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1"], { env: {}, cwd: dir });
    expect(await (await fetch(w.base + "/")).text()).toBe("{ 'message': 'ok' }");
    const answer = await pollUntilAnswered(w.base + jobPath(easy));
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(v.smallest_valid_nonce); // one thread from nonce 0: the vector's smallest

    const mapped = new Set(
      readFileSync(`/proc/${w.proc.pid}/maps`, "utf8")
        .split("\n")
        .map((line) => line.split(/\s+/)[5] ?? "")
        .filter((file) => file.startsWith("/") && !file.startsWith("/usr/lib/locale/")),
    );
    const foreign = [...mapped].filter((file) => file !== exe && !file.includes("/.bun-") && !SYSTEM_LIBRARIES.test(file));
    expect(foreign).toEqual([]);
    expect([...mapped].filter((file) => file.includes("/.bun-")).length).toBe(2); // the shim and librandomx, unpacked

    w.proc.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    rmSync(dir, { recursive: true });
  });
});
