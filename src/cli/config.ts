// Every command's settings, read one way. A field is defined once: its flag, its K2POW_* variable, the TypeBox
// schema its value must meet, its default, what it takes (for errors) and its help; a command lists the fields it
// takes. A flag on the command line wins over its variable, and a bad value is one message naming both. Also what
// every command has in common with the entry point: the context it is given and the exit codes it ends with.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

export const EXIT = { ok: 0, no: 1, usage: 2, failed: 3 } as const;

/** A command line that cannot be run: exit code 2 and this message. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** What every command gets from the entry point. */
export interface CommandContext {
  /**
   * The search thread's script. Computed in src/main.ts because a compiled executable embeds it relative to the
   * entry point (as engine/search-worker.js), not relative to the engine module.
   */
  workerUrl: URL;
}

export type Env = Record<string, string | undefined>;

/** The environment variable for a flag: --bind-address → K2POW_BIND_ADDRESS. */
export const envName = (flag: string) => `K2POW_${flag.toUpperCase().replaceAll("-", "_")}`;

/** A setting a command may take; V is the value the command gets (undefined when neither given nor defaulted). */
export interface Field<V> {
  /** The long flag, without "--". */
  readonly flag: string;
  readonly short?: string;
  /** The placeholder of its value in help (N, FILE); absent for a switch, which takes no value. */
  readonly arg?: string;
  readonly schema: TSchema;
  /** The text as the schema sees it (a number, a host and port); undefined when it cannot be read as one. */
  readonly read?: (text: string) => unknown;
  /** A function for a default known only at run time (the host name), from the command's environment. */
  readonly default?: V | ((env: Env) => V);
  /** Why a field without a default must be given. */
  readonly required?: string;
  /** What it takes, as an error says it: "--cores (K2POW_CORES) must be <takes>, got '…'". */
  readonly takes: string;
  /** What a part of the value takes, by the schema's path ("/port"), when only that part is wrong. */
  readonly parts?: Readonly<Record<string, string>>;
  /** Describes a bad value without showing it, for secrets. */
  readonly conceal?: (text: string) => string;
  /** The other flag of a pair: that one on the command line outranks this one's variable as well. */
  readonly pairedWith?: string;
  /** False for a switch that must be typed each time: no variable left in a file can turn it on. */
  readonly env?: false;
  /** What it does, one line of prose; help wraps it. */
  readonly help: string;
}

type Spec<S extends TSchema> = Omit<Field<Static<S>>, "schema" | "default"> & { schema: S };

/** A field with a default (or required) gives its command a value always; one without may give undefined. */
export function field<S extends TSchema>(spec: Spec<S> & ({ default: Static<S> | ((env: Env) => Static<S>) } | { required: string })): Field<Static<S>>;
export function field<S extends TSchema>(spec: Spec<S>): Field<Static<S> | undefined>;
export function field(spec: Field<unknown>): Field<unknown> {
  return spec;
}

const SWITCH_TEXT = /^(1|true|0|false)$/;

/** A flag without a value (--json); its variable takes 1, true, 0 or false. */
export function switchField(spec: Pick<Field<boolean>, "flag" | "help" | "pairedWith" | "env">): Field<boolean> {
  return {
    ...spec,
    schema: Type.Boolean(),
    read: (text) => (SWITCH_TEXT.test(text) ? /^(1|true)$/.test(text) : undefined),
    default: false,
    takes: "1, true, 0 or false",
  };
}

/** The same field with a default of this command's. */
export const withDefault = <V>(f: Field<V | undefined>, value: V): Field<V> => ({ ...f, default: value }) as Field<V>;

export type Fields = Record<string, Field<unknown>>;
export type Values<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer V> ? V : never };

export interface Command<F extends Fields> {
  /** The usage line after "k2pow", before "[options]". */
  usage: string;
  /** What the command does, as printed before its options. */
  about: string;
  fields: F;
  positionals?: readonly string[];
  /** What help prints after the options. */
  after?: string;
}

export const command = <F extends Fields>(c: Command<F>): Command<F> => c;

/** The settings from argv and env, or "help" when --help was asked for; a bad one throws a UsageError. */
export function readCommand<F extends Fields>(
  c: Command<F>,
  argv: string[],
  env: Env,
): { values: Values<F>; positionals: string[] } | "help" {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const f of Object.values(c.fields)) options[f.flag] = { type: f.arg === undefined ? "boolean" : "string", ...(f.short ? { short: f.short } : {}) };
  const parsed = parseCommandLine(argv, options, c.positionals ?? []);
  const typed = parsed.values as Record<string, string | boolean | undefined>;
  if (typed.help) return "help";
  const values: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(c.fields)) {
    const pairTyped = f.pairedWith !== undefined && typed[f.pairedWith] !== undefined;
    const fromEnv = f.env === false || pairTyped ? undefined : env[envName(f.flag)];
    values[key] = valueOf(f, typed[f.flag], fromEnv, env);
  }
  return { values: values as Values<F>, positionals: parsed.positionals };
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** util.parseArgs, with its errors turned into one-line messages and the positionals counted. */
function parseCommandLine<O extends Options>(argv: string[], options: O, positionals: readonly string[]) {
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

function valueOf(f: Field<unknown>, typed: string | boolean | undefined, fromEnv: string | undefined, env: Env): unknown {
  if (typed === true) return true;
  const text = typeof typed === "string" ? typed : fromEnv;
  if (text === undefined) {
    if (f.required !== undefined) throw new UsageError(`--${f.flag} (or ${envName(f.flag)}) is required: ${f.required}`);
    if (typeof f.default !== "function") return f.default;
    const value = (f.default as (env: Env) => unknown)(env);
    check(f, String(value), value);
    return value;
  }
  const value = f.read ? f.read(text) : text;
  check(f, text, value);
  return value;
}

function check(f: Field<unknown>, text: string, value: unknown): void {
  const error = value === undefined ? { path: "", value: text } : Value.Errors(f.schema, value).First();
  if (error === undefined) return;
  const takes = f.parts?.[error.path] ?? f.takes;
  // The part that is wrong when only a part is; otherwise the text as given, not the number it became.
  const shown = f.conceal ? f.conceal(text) : `'${error.path === "" ? text : String(error.value)}'`;
  throw new UsageError(`${nameOf(f)} must be ${takes}, got ${shown}`);
}

/** How an error names a field: a switch's flag cannot be wrong, only its variable. */
function nameOf(f: Field<unknown>): string {
  if (f.env === false) return `--${f.flag}`;
  return f.arg === undefined ? envName(f.flag) : `--${f.flag} (${envName(f.flag)})`;
}

/** Help's width for a field's prose; the variable goes in a column after it. */
const PROSE_WIDTH = 68;

function wrap(text: string, width: number): string[] {
  const lines = [""];
  for (const word of text.split(" ")) {
    const last = lines.at(-1)!;
    if (last === "") lines[lines.length - 1] = word;
    else if (last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** The options block of a command's help: flags, their prose, and their variables in the last column. */
export function optionsHelp(fields: Fields): string {
  const entries = Object.values(fields).map((f) => ({
    name: `  ${f.short ? `-${f.short}, ` : ""}--${f.flag}${f.arg ? ` ${f.arg}` : ""}`,
    prose: wrap(f.help, PROSE_WIDTH),
    variable: f.env === false ? "" : envName(f.flag),
  }));
  const proseColumn = Math.max(25, ...entries.map((e) => e.name.length + 2));
  const lines = entries.flatMap((e) =>
    e.prose.map((line, i) => ({ text: `${(i === 0 ? e.name : "").padEnd(proseColumn)}${line}`, variable: i === e.prose.length - 1 ? e.variable : "" })),
  );
  const variableColumn = Math.max(...lines.map((l) => l.text.length)) + 2;
  return lines.map((l) => (l.variable === "" ? l.text : `${l.text.padEnd(variableColumn)}${l.variable}`)).join("\n");
}

export function commandHelp(c: Command<Fields>): string {
  const parts = [`Usage: k2pow ${c.usage} [options]`, c.about, optionsHelp(c.fields)];
  return [...parts, ...(c.after === undefined ? [] : [c.after])].join("\n\n");
}
