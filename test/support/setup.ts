// Loaded before every test file (bunfig.toml preload; each file runs in its own global, in one of npm test's parallel
// processes). The suite's default timeout, so one file run alone behaves as in the whole run: tests that start
// processes or build RandomX state take tens of seconds on two cores. And each file's clean-up (a hook here runs
// after the file's last test; Bun's test runner emits no "exit" event): processes started outside a test.
import { afterAll, afterEach, beforeEach, setDefaultTimeout } from "bun:test";
import { killLeftovers, setInTest } from "./k2pow-process";

setDefaultTimeout(120_000);

afterAll(() => {
  killLeftovers();
});

// What a test starts ends with it; what a beforeAll starts, with the file (endWithTest).
beforeEach(() => setInTest(true));
afterEach(() => setInTest(false));

// A runner stopped by a signal (Ctrl+C, a CI job cancelled) runs no hook: its processes are ended here instead.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killLeftovers();
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}
