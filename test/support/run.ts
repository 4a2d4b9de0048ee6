import { endWithTest, withDatasetFile } from "./k2pow-process";

/** Runs a command to its end (or the end of the test that runs it); its whole output and exit code. */
export async function run(command: string[], options: { env?: Record<string, string> } = {}) {
  const child = Bun.spawn(command, { stdout: "pipe", stderr: "pipe", env: withDatasetFile(options.env ?? (process.env as Record<string, string>)) });
  endWithTest(child);
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { stdout, stderr, code };
}
