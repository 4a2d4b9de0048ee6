// Command-line parsing shared by the subcommands: util.parseArgs, with its errors turned into one-line messages.
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A command line that cannot be run: exit code 2 and this message. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const EXIT = { ok: 0, no: 1, usage: 2, failed: 3 } as const;

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseCommandLine<O extends Options>(argv: string[], options: O, positionals: readonly string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs says e.g. "Unknown option '--x'"; keep its words, drop its advice about "--".
    throw new UsageError((err as Error).message.split(/\.\s/)[0]!);
  }
  const got = parsed.positionals;
  if (!(parsed.values as { help?: boolean }).help && got.length !== positionals.length) {
    if (got.length > positionals.length) throw new UsageError(`unexpected argument '${got[positionals.length]}'`);
    throw new UsageError(`expected ${positionals.length} arguments (${positionals.join(" ")}), got ${got.length}`);
  }
  return parsed;
}
