// Running the Windows executable under wine 10, in the Debian trixie root that wine-root.sh keeps. Every command runs
// in a mount namespace of its own (unshare): /proc, /dev and this run's folder are mounted in the root there, and the
// kernel takes those mounts away when the command's last process ends, pass or fail, so nothing is left mounted on
// the machine. The run's folder, on the host, holds the executable (drive K: in wine) and the root's /tmp, so this
// run has its own wineserver, which the run starts, keeps for all its commands, and ends with everything wine runs.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endWithTest } from "./k2pow-process";
import { run } from "./run";
import { until } from "./until";

const setUp = join(import.meta.dir, "wine-root.sh");

/** Mounts what a command needs in the root ($0), in the namespace unshare made, then runs it chrooted there. */
const IN_ROOT = `set -e
mount -t proc proc "$0/proc"
mount --rbind /dev "$0/dev"
mount --bind "$1" "$0/k2pow"
mount --bind "$1/tmp" "$0/tmp"
shift
exec chroot "$0" "$@"`;

export interface Wine {
  /** How long the set-up took (the root built, or found ready). */
  setUpSeconds: number;
  /** The command line that runs the executable with `args` under wine, for Bun.spawn. */
  command(args: string[]): string[];
  /** The environment every command runs with; `extra` is added (wine hands it on to the Windows process). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Ends every wine process of this run and the run's wineserver, and removes the run's folder. */
  close(): Promise<void>;
}

/** Makes the root if it is not there (minutes, once per machine), and starts this run's wineserver. */
export async function startWine(exe: string): Promise<Wine> {
  const started = performance.now();
  const made = await run(["bash", setUp], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  if (made.code !== 0) throw new Error(`test/support/wine-root.sh failed (exit ${made.code}):\n${made.stderr}`);
  const root = made.stdout.trim();
  const setUpSeconds = (performance.now() - started) / 1000;

  const dir = mkdtempSync(join(tmpdir(), "k2pow-wine-"));
  mkdirSync(join(dir, "tmp"), { mode: 0o1777 });
  copyFileSync(exe, join(dir, "k2pow.exe"));
  const inRoot = (command: string[]) => ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", IN_ROOT, root, dir, ...command];
  const env = (extra: Record<string, string> = {}) => ({
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin", // chroot is in /usr/sbin
    HOME: "/root",
    WINEPREFIX: "/root/.wine",
    // Wine's own diagnostics off: the tests read the executable's output, and they cost time.
    WINEDEBUG: "-all",
    // No desktop: no menu entries to make, no display to look for (which only complains on stderr).
    WINEDLLOVERRIDES: "winemenubuilder.exe=d;winewayland.drv=d;winex11.drv=d",
    ...extra,
  });
  // Persistent (-p): wine's start-up services stay up between commands instead of starting again for each.
  const server = Bun.spawn(inRoot(["wineserver", "-f", "-p"]), { env: env(), stdout: "ignore", stderr: "pipe" });
  endWithTest(server);
  const close = async () => {
    // wineserver -k ends every process wine runs for this run (the server's clients), then the server itself.
    await run(inRoot(["wineserver", "-k"]), { env: env() });
    await until("this run's wineserver to end after wineserver -k", async () => server.exitCode !== null || server.signalCode !== null, 10_000).catch(
      () => {
        console.log("wineserver had not ended 10 s after wineserver -k: killed");
        server.kill("SIGKILL");
      },
    );
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  // Its socket there (/tmp/wine-XXXXXX/server-DEV-INODE/socket in wine 10) before the first command, or that command
  // would start a wineserver of its own.
  const socket = new Bun.Glob("*wine-*/server-*/socket");
  try {
    await until("this run's wineserver to listen", async () => {
      if (server.exitCode !== null) throw new Error(`wineserver ended (exit ${server.exitCode}): ${await new Response(server.stderr).text()}`);
      return (await Array.fromAsync(socket.scan({ cwd: join(dir, "tmp"), dot: true, onlyFiles: false }))).length > 0;
    }, 30_000);
  } catch (err) {
    await close();
    throw err;
  }
  // Wine's services (services.exe, winedevice.exe and the rest) start with the first Windows process of the run and
  // stay up with the persistent server. Started here by a command of no interest, with stdout and stderr not a
  // test's pipes, which they would otherwise hold open after that test's command ended.
  const warmUp = Bun.spawn(inRoot(["wine", "cmd.exe", "/c", "exit"]), { env: env(), stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  endWithTest(warmUp);
  const warmUpCode = await warmUp.exited;
  if (warmUpCode !== 0) {
    await close();
    throw new Error(`wine's services did not start: 'wine cmd.exe /c exit' exited ${warmUpCode}`);
  }
  return { setUpSeconds, command: (args) => inRoot(["wine", "K:\\k2pow.exe", ...args]), env, close };
}
