// A `k2pow` process for tests: started, waited for until it listens, its log kept, killed when the test that
// started it finishes, pass or fail. A hook registered here at import would apply to the first test file only (Bun
// loads this module once for the whole run), so each process is tied to its own test; any still running when the
// run ends (a process started outside a test) is killed then, by test/support/setup.ts: Bun's test runner does not
// emit the process's "exit" event.
import { onTestFinished } from "bun:test";
import { until } from "./until";

const running = new Set<ReturnType<typeof Bun.spawn>>();

/** Kills every process a test started that is still running; called once the whole run is over. */
export function killLeftovers(): void {
  for (const p of running) p.kill("SIGKILL");
}

/** Whether a test's body (with its beforeEach and afterEach) is running; set by test/support/setup.ts's hooks. */
let inTest = false;
export function setInTest(value: boolean): void {
  inTest = value;
}

/**
 * Kills `proc` when the current test finishes; one started outside a test (a beforeAll's, for several tests) is the
 * file's afterAll's to end, and killLeftovers's at the latest. Bun ties onTestFinished called in a beforeAll to that
 * hook, so it would kill there what the hook started for the tests after it.
 */
export function endWithTest(proc: ReturnType<typeof Bun.spawn>): void {
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  if (!inTest) return;
  onTestFinished(() => {
    proc.kill("SIGKILL");
  });
}

/**
 * A k2pow started by a test keeps no dataset file (it builds in fast mode, as before the file existed) unless the
 * test names one: a file left by another test, or in the home directory, would make its start depend on them.
 */
export function withDatasetFile(env: Record<string, string>): Record<string, string> {
  return { K2POW_DATASET_FILE: "none", ...env };
}

/**
 * Starts `command` (a k2pow executable, or bun with src/main.ts) and waits for its "listening" log line, or for
 * `ready` when given (a process that does not listen, such as k2pow join).
 */
export async function startK2pow(
  command: string[],
  options: { env?: Record<string, string>; cwd?: string; startMs?: number; ready?: RegExp } = {},
) {
  const proc = Bun.spawn(command, {
    env: withDatasetFile(options.env ?? { PATH: process.env.PATH ?? "/usr/bin:/bin" }),
    cwd: options.cwd,
    stdout: "pipe",
    stderr: "pipe",
  });
  endWithTest(proc);
  let log = "";
  const decoder = new TextDecoder();
  const reader = proc.stderr.getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      log += decoder.decode(value);
    }
  })();
  const deadline = Date.now() + (options.startMs ?? 15_000);
  let port: string | undefined;
  const isReady = () => (options.ready ? (options.ready.test(log) ? "" : undefined) : log.match(/listening on \S+.*?port[=":]+(\d+)/)?.[1]);
  while ((port = isReady()) === undefined) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`k2pow did not start:\n${log}`);
    await Bun.sleep(20);
  }
  return {
    proc,
    base: `http://127.0.0.1:${port}`,
    log: () => log,
    /**
     * Waits for a line matching `pattern`. The log is read as it comes, so a line written before an answer the test
     * got over HTTP may not have been read yet: a test waits for the line rather than expecting it already there.
     */
    logged: async (pattern: RegExp, ms?: number) => {
      try {
        await until(`a log line matching ${pattern}`, async () => pattern.test(log), ms);
      } catch (err) {
        throw new Error(`${(err as Error).message}; the log so far:\n${log}`);
      }
    },
    exited: pump.then(() => proc.exited),
  };
}
