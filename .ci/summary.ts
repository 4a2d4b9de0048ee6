// The end of every CI log, pass or fail: the ten slowest test files, any error outside a test, and each failed test
// with its file, line and the first lines of its message, so whoever reads only the log's tail knows what failed.
// Reads Bun's JUnit report and the runner's console output (errors between tests reach only the console).
import { existsSync, readFileSync } from "node:fs";

const [reportPath = "test-report.xml", consolePath = "", exitCode = "?"] = process.argv.slice(2);
const MESSAGE_LINES = 6;

interface Case {
  file: string;
  line: string | null;
  name: string;
  failure: string | null;
  skipped: boolean;
}

function unescape(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|quot|apos|lt|gt|amp);/gi, (_, code: string) => {
    const named: Record<string, string> = { quot: '"', apos: "'", lt: "<", gt: ">", amp: "&" };
    if (code[0] !== "#") return named[code.toLowerCase()]!;
    return String.fromCodePoint(code[1]?.toLowerCase() === "x" ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10));
  });
}

function attributes(tag: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [, key, value] of tag.matchAll(/(\w+)="([^"]*)"/g)) found[key!] = unescape(value!);
  return found;
}

function casesOf(xml: string): Case[] {
  const cases: Case[] = [];
  // A test case is either self-closed or holds a failure or skipped element before its closing tag.
  for (const [, open, selfClosed, body = ""] of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const a = attributes(open!);
    const failure = selfClosed === "/>" ? null : /<failure\b[^>]*>([\s\S]*?)<\/failure>/.exec(body);
    cases.push({
      file: a.file ?? "?",
      line: a.line ?? null,
      name: [a.classname, a.name].filter((part) => part !== undefined && part !== "").join(" > "),
      failure: failure ? unescape(failure[1]!) : null,
      skipped: /<skipped\b/.test(body),
    });
  }
  return cases;
}

/** Errors the runner met outside any test (a file that fails to load, a throw between tests), with their file. */
function errorsOutsideTests(consoleText: string): string[] {
  const errors: string[] = [];
  let file = "?";
  const lines = consoleText.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const header = /^(\S+\.test\.ts):$/.exec(lines[i]!.trim());
    if (header) file = header[1]!;
    if (!lines[i]!.includes("# Unhandled error between tests")) continue;
    const body: string[] = [];
    // The error sits between two dashed rules after the heading.
    let j = i + 2;
    for (; j < lines.length && !/^-{10,}$/.test(lines[j]!.trim()); j++) if (lines[j]!.trim() !== "") body.push(lines[j]!.trim());
    errors.push(`${file}: ${body.slice(0, MESSAGE_LINES).join("\n      ")}`);
    i = j;
  }
  return errors;
}

const out: string[] = [];
const consoleText = consolePath !== "" && existsSync(consolePath) ? readFileSync(consolePath, "utf8") : "";
if (!existsSync(reportPath)) {
  out.push(`== no test report at ${reportPath}: the run stopped before the tests did (type check or build; see above)`);
} else {
  const xml = readFileSync(reportPath, "utf8");
  const cases = casesOf(xml);
  const failed = cases.filter((c) => c.failure !== null);
  const outside = errorsOutsideTests(consoleText);
  const perFile = new Map<string, number>();
  // A file's own time (its hooks included) is on its top-level suite, the one indented once.
  for (const [, tag] of xml.matchAll(/^ {2}<testsuite\b([^>]*)>/gm)) {
    const a = attributes(tag!);
    if (a.file !== undefined) perFile.set(a.file, Number(a.time ?? 0));
  }
  out.push("== ten slowest test files");
  for (const [file, seconds] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 10)) out.push(`   ${seconds.toFixed(1).padStart(7)} s  ${file}`);
  if (outside.length > 0) {
    out.push(`== ${outside.length} error(s) outside any test`);
    for (const error of outside) out.push(`   ${error}`);
  }
  const skipped = cases.filter((c) => c.skipped).length;
  out.push(`== ${cases.length - failed.length - skipped} passed, ${failed.length} failed, ${skipped} skipped, ${outside.length} error(s) outside tests; exit ${exitCode}`);
  for (const c of failed) {
    // A hook that failed has no test name or line of its own; where it threw is in the message's first frame.
    const where = /at (?:.*\()?([^\s()]+\.test\.ts:\d+):\d+/.exec(c.failure!)?.[1];
    const name = c.name === "(unnamed)" ? "(a beforeAll/afterAll hook, or a file's set-up)" : c.name;
    out.push(`FAILED ${c.file}${c.line === null ? "" : `:${c.line}`}  ${name}`);
    const message = c.failure!.split("\n").filter((l) => l.trim() !== "" && !/^\s+at /.test(l));
    for (const line of message.slice(0, MESSAGE_LINES)) out.push(`      ${line.trimEnd()}`);
    if (where !== undefined) out.push(`      (thrown at ${where})`);
  }
}
console.log(out.join("\n"));
