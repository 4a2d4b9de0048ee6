// The container images `build.sh image` makes and the compose files in examples/compose/, under the real podman and
// podman-compose on loopback: what post-service gets is checked against the vectors, never against the image's
// own output. CI installs podman, buildah and podman-compose; elsewhere the file says what is missing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compose, hostProgramImage, podman, podmanEnv, removeAll, RUN } from "./support/podman";
import { run } from "./support/run";
import { sharedDatasetFile } from "./support/shared-dataset";
import { pollUntilAnswered } from "./support/poll";
import { until } from "./support/until";
import { smallestVectors } from "./support/vectors";
import { jobPath } from "./support/worker";
import { freePort } from "./support/free-port";

const root = join(import.meta.dir, "..");
const main = join(root, "src", "main.ts");
const composeDir = join(root, "examples", "compose");
const { version } = (await Bun.file(join(root, "package.json")).json()) as { version: string };
// This run's own names for the images (build-image.sh takes K2POW_IMAGE_NAME): another run's build cannot move them.
const NAME = `localhost/${RUN}`;
const IMAGE = `${NAME}:latest`;
const ARM64_IMAGE = `${NAME}:${version}-arm64`;
const HAPROXY_IMAGE = `localhost/${RUN}-haproxy:2.6`;
const IMAGES = [IMAGE, `${NAME}:${version}`, `${NAME}:${version}-x64`, ARM64_IMAGE, HAPROXY_IMAGE];
const TOKEN = "container-test-token-0123456789";
const AUTH = "smesher:container-test-password";
const authorized = { headers: { Authorization: `Basic ${Buffer.from(AUTH).toString("base64")}` } };

const missing = ["podman", "buildah", "podman-compose", "haproxy"].filter((tool) => Bun.which(tool) === null);
// CI installs all of it: there, anything missing is a failure, not a reason to skip.
const skip = missing.length > 0 && !process.env.CI;
if (skip) console.log(`container tests not run: missing ${missing.join(", ")}`);

const answers = (url: string) => fetch(url).then((r) => r.status === 200, () => false);

/** `k2pow probe` from this checkout, as post-service asks: every nonce checked with a local hash. */
async function probe(base: string, groups: number) {
  const result = await run([process.execPath, main, "probe", base, "--groups", String(groups), "--parallelism", "3", "--backoff", "0.2", "--timeout", "90"]);
  expect(`${result.stdout}${result.stderr}`).toContain("OK: every group got a valid nonce; post-service would have succeeded");
  expect(result.code).toBe(0);
  return result.stdout;
}

/** Starts the image as a detached container of this run, port 3000 published on a free loopback port. */
async function start(name: string, args: string[], env: Record<string, string>, volume?: string) {
  const port = freePort();
  const flags = ["-d", "--name", `${RUN}-${name}`, "--label", RUN, "-p", `127.0.0.1:${port}:3000`];
  for (const [key, value] of Object.entries(env)) flags.push("-e", `${key}=${value}`);
  if (volume) flags.push("-v", `${volume}:/data`);
  await podman(["run", ...flags, IMAGE, ...args]);
  const base = `http://127.0.0.1:${port}`;
  const logs = async () => (await podman(["logs", `${RUN}-${name}`], { allowFailure: true })).stderr;
  await until(`the ${name} container answering GET / on ${base}`, () => answers(`${base}/`), 60_000).catch(async (err) => {
    throw new Error(`${(err as Error).message}\n${await logs()}`);
  });
  return { name: `${RUN}-${name}`, base, logs };
}

/** One light-mode worker of one thread from the image, for the tests that only ask it things (started once). */
let lightWorker: ReturnType<typeof start> | null = null;
const sharedWorker = () => (lightWorker ??= start("light", [], { K2POW_RANDOMX_MODE: "light", K2POW_CORES: "1" }));

describe.skipIf(skip)("the container image and examples/compose under podman", () => {
  beforeAll(async () => {
    expect(missing).toEqual([]);
    // What `build.sh image` runs once the release executables are there (.ci/run builds them before the suite).
    const built = await run(["bash", join(root, "examples", "container", "build-image.sh"), "x64", "arm64"], { env: podmanEnv({ K2POW_IMAGE_NAME: NAME }) });
    if (built.code !== 0) throw new Error(`examples/container/build-image.sh exited ${built.code}: ${built.stderr.trim().slice(-2000)}`);
    await hostProgramImage(HAPROXY_IMAGE, Bun.which("haproxy")!, "/usr/local/sbin/haproxy");
  }, 300_000);

  afterAll(async () => {
    await removeAll(IMAGES);
  }, 120_000);

  test("the image runs as a non-root user on port 3000, with a health check on GET / and K2POW_* settings", async () => {
    const [image] = JSON.parse((await podman(["image", "inspect", IMAGE])).stdout) as { Config: Record<string, unknown>; Healthcheck: { Test: string[] } }[];
    const config = image!.Config;
    expect(config.User).toBe("10001:10001");
    expect(Object.keys(config.ExposedPorts as object)).toEqual(["3000/tcp"]);
    expect(Object.keys(config.Volumes as object)).toEqual(["/data"]);
    expect(image!.Healthcheck.Test).toEqual(["CMD", "/usr/local/bin/k2pow", "health"]);

    const worker = await sharedWorker();
    const top = await podman(["top", worker.name, "user", "huser"]);
    expect(top.stdout.trim().split("\n").slice(1).map((line) => line.trim().split(/\s+/))).toEqual([["k2pow", "10001"]]);
    await until("'light mode ready: 1 thread' in the log (K2POW_RANDOMX_MODE, K2POW_CORES)", async () => /light mode ready: 1 thread/.test(await worker.logs()));
    expect((await podman(["healthcheck", "run", worker.name], { allowFailure: true })).code).toBe(0);
    // Unhealthy is seen too: the check is not a constant.
    await podman(["exec", worker.name, "/usr/local/bin/k2pow", "health", "--bind-address", "127.0.0.1:9"], { allowFailure: true }).then((r) =>
      expect(r.code).toBe(1),
    );
  });

  test("answers post-service's requests with the vectors' nonces (one thread searches from 0: the smallest valid one)", async () => {
    const worker = await sharedWorker();
    for (const v of smallestVectors) {
      const answer = await pollUntilAnswered(worker.base + jobPath({ ...v, nonceGroup: v.nonce_group }), 60_000);
      expect(answer).toEqual({ status: 200, body: v.smallest_valid_nonce });
    }
    await probe(worker.base, 3);
  });

  test("every command is the image's: probe of a worker, and --bench", async () => {
    const worker = await sharedWorker();
    const probed = await podman(["run", "--rm", "--label", RUN, "--network", "host", IMAGE, "probe", worker.base, "--groups", "2", "--backoff", "0.2"]);
    expect(probed.stdout).toContain("OK: every group got a valid nonce; post-service would have succeeded");
    const bench = await podman(["run", "--rm", "--label", RUN, IMAGE, "--bench", "--randomx-mode", "light", "--seconds", "1", "--json"]);
    const result = JSON.parse(bench.stdout) as { target: string; mode: string; byThreads: { hashesPerSecond: number }[] };
    expect(result).toMatchObject({ target: "linux-x64-baseline", mode: "light" });
    for (const m of result.byThreads) expect(m.hashesPerSecond).toBeGreaterThan(0);
  });

  test("a second start with the dataset volume loads the dataset in seconds instead of building it", async () => {
    // The volume is given the file a build wrote (the suite's shared one, made by the same executable's code): a
    // first start's 25 s build is what this spares, and the dataset-file tests cover the writing.
    const volume = `${RUN}-dataset`;
    await podman(["volume", "create", "--label", RUN, volume]);
    const file = await sharedDatasetFile();
    const tar = Bun.spawn(["tar", "--owner=10001", "--group=10001", "-C", join(file, ".."), "-c", "randomx-dataset.bin"], { stdout: "pipe" });
    const imported = Bun.spawn(["podman", "volume", "import", volume, "-"], { stdin: tar.stdout, env: podmanEnv(), stderr: "pipe" });
    expect([await tar.exited, await imported.exited]).toEqual([0, 0]);

    const started = performance.now();
    const worker = await start("dataset", [], { K2POW_RANDOMX_MODE: "fast", K2POW_CORES: "1" }, volume);
    const loaded = await until("the fast-mode dataset loaded from the volume", async () =>
      (await worker.logs()).match(/dataset loaded from \/data\/randomx-dataset\.bin in ([\d.]+) s/),
    );
    await until("fast mode ready", async () => /fast mode ready/.test(await worker.logs()));
    console.log(`container with the dataset volume: loaded in ${loaded[1]} s, ready ${((performance.now() - started) / 1000).toFixed(1)} s after podman run`);
    expect(await worker.logs()).not.toMatch(/building the dataset|dataset built/);
    const v = smallestVectors[0]!;
    expect(await pollUntilAnswered(worker.base + jobPath({ ...v, nonceGroup: v.nonce_group }), 60_000)).toEqual({ status: 200, body: v.smallest_valid_nonce });
  });

  test("the arm64 image is built from the arm64 executable", async () => {
    const image = ARM64_IMAGE;
    const arm = (await podman(["image", "inspect", image, "--format", "{{.Architecture}} {{json .Config.Entrypoint}}"])).stdout.trim();
    expect(arm).toBe('arm64 ["/usr/local/bin/k2pow"]');
    // Not run: this machine has no binfmt_misc for arm64 (dist/k2pow-linux-arm64 itself runs under qemu-user in arm64.test).
    const ctr = (await podman(["create", "--label", RUN, image])).stdout.trim();
    const dir = mkdtempSync(join(tmpdir(), "k2pow-arm64-image-"));
    try {
      await podman(["cp", `${ctr}:/usr/local/bin/k2pow`, join(dir, "k2pow")]);
      // The arm64 loader the executable names is in the image (podman cp fails on a missing file).
      await podman(["cp", `${ctr}:/lib/ld-linux-aarch64.so.1`, join(dir, "ld")]);
      const sum = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
      expect(sum(join(dir, "k2pow"))).toBe(sum(join(root, "dist", "k2pow-linux-arm64")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await podman(["rm", "-v", ctr], { allowFailure: true });
    }
  });

  test("examples/compose/pool.yml: a pool with two join workers answers post-service's jobs", async () => {
    const port = freePort();
    const project = `${RUN}-pool`;
    const env = { K2POW_IMAGE: IMAGE, K2POW_WORKER_TOKEN: TOKEN, K2POW_AUTH: AUTH, K2POW_RANDOMX_MODE: "light", K2POW_CHECK_MODE: "light", K2POW_PUBLISH: `127.0.0.1:${port}` };
    const file = join(composeDir, "pool.yml");
    try {
      await compose(file, project, ["up", "-d"], env);
      const base = `http://127.0.0.1:${port}`;
      await until("both compose workers connected to the pool", async () => {
        const status = await fetch(`${base}/status`, authorized).then((r) => (r.ok ? (r.json() as Promise<{ workers: { name: string }[] }>) : null), () => null);
        const names = status?.workers.map((w) => w.name).sort();
        return names?.join() === "worker1,worker2";
      }, 90_000);
      expect((await fetch(`${base}/status`)).status).toBe(401);
      await probe(`http://${AUTH}@127.0.0.1:${port}`, 4);
    } finally {
      await compose(file, project, ["down", "-v"], env).catch(() => undefined);
    }
  });

  test("examples/compose/haproxy.yml: workers behind the shipped HAProxy config answer with one worker stopped", async () => {
    const port = freePort();
    const project = `${RUN}-haproxy`;
    const env = { K2POW_IMAGE: IMAGE, HAPROXY_IMAGE, K2POW_AUTH: AUTH, K2POW_RANDOMX_MODE: "light", K2POW_CORES: "1", K2POW_PUBLISH: `127.0.0.1:${port}` };
    const file = join(composeDir, "haproxy.yml");
    const base = `http://127.0.0.1:${port}`;
    const servers = async () => {
      const ids = (await podman(["ps", "-q", "--filter", `label=com.docker.compose.project=${project}`, "--filter", "name=worker"])).stdout;
      return ids.split("\n").filter(Boolean);
    };
    try {
      await compose(file, project, ["up", "-d"], env);
      expect((await servers()).length).toBe(3);
      // Through HAProxy, GET / reaches a worker: each is up once HAProxy's health checks have seen it (rise 2, 1 s).
      await until("HAProxy answering GET / from a worker", () => answers(`${base}/`), 90_000);
      const worker2 = (await podman(["ps", "-q", "--filter", `label=com.docker.compose.project=${project}`, "--filter", "label=com.docker.compose.service=worker2"])).stdout.trim();
      expect(worker2).not.toBe("");
      await podman(["stop", "-t", "0", worker2]);
      expect((await servers()).length).toBe(2);
      const stdout = await probe(`http://${AUTH}@127.0.0.1:${port}`, 6);
      expect(stdout).toMatch(/^answers: /m);
      expect(stdout).not.toMatch(/^answers: .*\b50[0-4]\b/m);
    } finally {
      await compose(file, project, ["down", "-v"], env).catch(() => undefined);
    }
  });
});
