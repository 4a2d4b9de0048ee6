// Loaded before every test file (bunfig.toml preload): the suite's default timeout, so one file run alone behaves
// as in the whole run. Tests that start processes or build RandomX state take tens of seconds on two cores.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(120_000);
