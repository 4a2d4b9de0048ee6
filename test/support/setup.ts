// Loaded before every test file (bunfig.toml preload). The suite's default timeout, so one file run alone behaves
// as in the whole run: tests that start processes or build RandomX state take tens of seconds on two cores. And the
// run's own clean-up once every file is done (a hook here runs once, after the last file; Bun's test runner emits no
// "exit" event): processes started outside a test, and the shared 2 GiB dataset file.
import { afterAll, setDefaultTimeout } from "bun:test";
import { killLeftovers } from "./k2pow-process";
import { removeSharedDataset } from "./shared-dataset";

setDefaultTimeout(120_000);

afterAll(() => {
  killLeftovers();
  removeSharedDataset();
});
