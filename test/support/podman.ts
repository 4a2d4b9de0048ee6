// Podman for the container tests: every container, volume and compose project a test makes carries this run's
// label or name prefix, and is removed when the file ends, pass or fail.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run } from "./run";

/** Names and labels of this run's containers, volumes, networks and images: two runs on one machine share none. */
export const RUN = `k2pow-test-${process.pid}`;

/**
 * Podman's defaults for root (nofile 1048576, nproc 4194304) are above this machine's hard limits, and its runtime
 * may not raise them ("error setting rlimits … operation not permitted"): the containers get the limits the tests
 * themselves run with, and runc, which the issue found working where crun is refused setrlimit.
 */
function containersConf(): string {
  const dir = mkdtempSync(join(tmpdir(), "k2pow-podman-"));
  const nofile = execFileSync("bash", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim();
  const processes = Number(execFileSync("bash", ["-c", "ulimit -Hu"], { encoding: "utf8" }).trim());
  const pidMax = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8").trim());
  const nproc = Number.isFinite(processes) ? Math.min(processes, pidMax) : pidMax;
  const path = join(dir, "containers.conf");
  writeFileSync(
    path,
    `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]\n[engine]\nruntime = "runc"\n`,
  );
  return path;
}

let conf: string | null = null;

/** The environment podman and podman-compose run with. */
export function podmanEnv(extra: Record<string, string> = {}): Record<string, string> {
  conf ??= containersConf();
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", CONTAINERS_CONF: conf, ...extra };
}

/** Runs podman; throws with its output when it fails, unless `allowFailure`. */
export async function podman(args: string[], options: { allowFailure?: boolean } = {}) {
  const result = await run(["podman", ...args], { env: podmanEnv() });
  if (result.code !== 0 && !options.allowFailure) {
    throw new Error(`podman ${args.join(" ")} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}

/** Runs podman-compose on one of examples/compose/'s files as project `project`. */
export async function compose(file: string, project: string, args: string[], env: Record<string, string>) {
  const result = await run(["podman-compose", "-p", project, "-f", file, ...args], { env: podmanEnv(env) });
  if (result.code !== 0) {
    throw new Error(`podman-compose ${args.join(" ")} exited ${result.code}: ${(result.stderr + result.stdout).trim().slice(-2000)}`);
  }
  return result;
}

const lines = (text: string) => text.split("\n").filter(Boolean);

/** Removes every container, volume, network and image of this run. */
export async function removeAll(images: string[]): Promise<void> {
  const mine = `^${RUN}-`;
  const ids = lines((await podman(["ps", "-aq", "--filter", `label=${RUN}`], { allowFailure: true })).stdout);
  const named = lines((await podman(["ps", "-aq", "--filter", `name=${mine}`], { allowFailure: true })).stdout);
  if (ids.length + named.length > 0) await podman(["rm", "-f", "-v", "-t", "0", ...new Set([...ids, ...named])], { allowFailure: true });
  const volumes = lines((await podman(["volume", "ls", "-q", "--filter", `name=${mine}`], { allowFailure: true })).stdout);
  if (volumes.length > 0) await podman(["volume", "rm", "-f", ...volumes], { allowFailure: true });
  const networks = lines((await podman(["network", "ls", "-q", "--filter", `name=${mine}`], { allowFailure: true })).stdout);
  if (networks.length > 0) await podman(["network", "rm", "-f", ...networks], { allowFailure: true });
  if (images.length > 0) await podman(["rmi", "-f", ...images], { allowFailure: true });
  // Last: the calls above still read it.
  if (conf !== null) rmSync(dirname(conf), { recursive: true, force: true });
  conf = null;
}

/**
 * An image of one host program and the libraries it links to, for a part the tests need in a container and cannot
 * pull from a registry (Debian's HAProxy for the HAProxy compose file).
 */
export async function hostProgramImage(tag: string, program: string, at: string): Promise<void> {
  const libraries = execFileSync("ldd", [program], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.match(/(\/\S+) \(0x/)?.[1])
    .filter((path): path is string => path !== undefined);
  const ctr = (await run(["buildah", "from", "scratch"], { env: podmanEnv() })).stdout.trim();
  try {
    for (const library of libraries) await buildah(["copy", "--quiet", ctr, library, library]);
    await buildah(["copy", "--quiet", ctr, program, at]);
    await buildah(["config", "--env", "PATH=/usr/local/sbin:/usr/sbin:/usr/bin", "--label", RUN, ctr]);
    await buildah(["commit", "--quiet", ctr, tag]);
  } finally {
    await run(["buildah", "rm", ctr], { env: podmanEnv() });
  }
}

async function buildah(args: string[]) {
  const result = await run(["buildah", ...args], { env: podmanEnv() });
  if (result.code !== 0) throw new Error(`buildah ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
}
