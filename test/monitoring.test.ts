// The monitoring examples in examples/monitoring/ against Debian's real Prometheus (2.42) and promtool: the config
// and the rules parse; promtool's unit tests show every alert firing when it should and staying quiet when it should
// not; a Prometheus on loopback, run from the example config, scrapes a real worker and pool through HTTP Basic
// auth and evaluates the rules on them; and every query of the dashboard and the rules is valid PromQL naming only
// metrics the worker and the pool export, so the examples fail here when a metric is renamed or dropped.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startK2pow } from "./support/k2pow-process";
import { run } from "./support/run";
import { until } from "./support/until";
import { freePort } from "./support/free-port";

const root = join(import.meta.dir, "..");
const main = join(root, "src", "main.ts");
const examples = join(root, "examples", "monitoring");
const havePrometheus = Bun.which("prometheus") !== null && Bun.which("promtool") !== null;

const TOKEN = "monitoring-test-token-0123456789abcdef";
const PASSWORD = "scrape-secret";
/** The user of the example's basic_auth; the k2pow processes are started with it and PASSWORD as --auth. */
const USER = "prometheus";
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", K2POW_WORKER_TOKEN: TOKEN };
/** About 2^31 expected hashes: a job that keeps running through the test (under the default bound on work). */
const job = `/job/${"5a".repeat(32)}/0/0102030405060708/00000001${"ff".repeat(28)}`;

type Rule = { alert?: string; record?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> };
const rules = (Bun.YAML.parse(readFileSync(join(examples, "k2pow-alerts.yml"), "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert !== undefined);

type Source = { type: string; uid: string };
type Panel = {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: Source;
  targets?: { expr: string; datasource?: Source }[];
  panels?: Panel[];
};
const dashboard = JSON.parse(readFileSync(join(examples, "grafana-dashboard.json"), "utf8")) as {
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; definition?: string; datasource?: Source }[] };
};
const dashboardQueries = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));

/** Grafana's variables as Prometheus would see them once Grafana has filled them in. */
function withoutVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, "1m").replace(/\$\{?\w+\}?/g, ".*");
}

const PROMQL_WORDS = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"]);

/** The metric names a PromQL expression selects: its identifiers but functions, keywords, labels and durations. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  return [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !PROMQL_WORDS.has(m[1]!.toLowerCase()))
    .map((m) => m[1]!);
}

/** Every name a /metrics text declares, with a histogram's series names. */
function exported(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
    type === "histogram" ? [name!, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!],
  );
}

/**
 * A light-mode worker and a pool, both with --auth, and a Prometheus run from the example config (scraping every
 * second, the example's targets pointed at them) with the example rules; all of it ends with the current test.
 */
async function startStack() {
  const auth = `${USER}:${PASSWORD}`;
  const [worker, pool] = await Promise.all([
    startK2pow([process.execPath, main, "serve", "-b", "127.0.0.1:0", "--randomx-mode", "light", "--cores", "1", "--auth", auth], { env }),
    startK2pow([process.execPath, main, "pool", "-b", "127.0.0.1:0", "--db", ":memory:", "--check-mode", "light", "--auth", auth], { env }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), "k2pow-prometheus-"));
  const example = readFileSync(join(examples, "prometheus.yml"), "utf8");
  const config = example
    .replace(/^(\s+)(scrape|evaluation)_interval: 15s$/gm, "$1$2_interval: 1s")
    .replace(/^(\s+- targets: \[")(rig-01\.lan|rig-02\.lan|10\.0\.0\.23):3000("\])$/gm, `$1${new URL(worker.base).host}$3`)
    .replace(/^(\s+- targets: \[")pool\.lan:3000("\])$/m, `$1${new URL(pool.base).host}$2`);
  expect(config.match(/127\.0\.0\.1:\d+/g)).toHaveLength(4);
  expect(config.match(/_interval: 1s/g)).toHaveLength(2);
  writeFileSync(join(dir, "prometheus.yml"), config);
  writeFileSync(join(dir, "k2pow-password"), PASSWORD + "\n");
  writeFileSync(join(dir, "k2pow-alerts.yml"), readFileSync(join(examples, "k2pow-alerts.yml")));
  const port = freePort();
  const prometheus = await startK2pow(
    [
      "prometheus",
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { ready: /Server is ready to receive web requests/, startMs: 30_000 },
  ).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const api = `http://127.0.0.1:${port}/api/v1`;
  const get = async <T>(path: string) => (await (await fetch(api + path)).json()) as { status: string; error?: string; data: T };
  type Vector = { metric: Record<string, string>; value: [number, string] }[];
  const query = (q: string) => get<{ result: Vector }>(`/query?query=${encodeURIComponent(q)}`);
  return {
    worker,
    pool,
    get,
    query,
    /** The series of `q` once it has some. */
    values: (q: string, ms = 30_000) =>
      until(`Prometheus to have ${q}`, async () => {
        const { data } = await query(q);
        return data.result.length > 0 ? data.result : null;
      }, ms),
    metricsOf: async (base: string) => (await fetch(base + "/metrics", { headers: { authorization: `Basic ${btoa(auth)}` } })).text(),
    /** Ends Prometheus before its files go; the k2pow processes end with the test. */
    async stop() {
      prometheus.proc.kill("SIGKILL");
      await prometheus.proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test("the dashboard asks for its Prometheus at import, and its panels have their own ids and places", () => {
  expect(dashboard.schemaVersion).toBe(39);
  expect(dashboard.templating.list.find((v) => v.type === "datasource")).toMatchObject({ name: "datasource", query: "prometheus" });
  const chosen = { type: "prometheus", uid: "${datasource}" };
  for (const v of dashboard.templating.list.filter((v) => v.type === "query")) expect(v.datasource).toEqual(chosen);
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  const misplaced: string[] = [];
  const taken = new Set<string>();
  for (const { title, gridPos: g } of panels) {
    if (g.x + g.w > 24) misplaced.push(`${title}: wider than the dashboard`);
    for (let x = g.x; x < g.x + g.w; x++)
      for (let y = g.y; y < g.y + g.h; y++) {
        if (taken.has(`${x},${y}`)) misplaced.push(`${title}: overlaps at ${x},${y}`);
        taken.add(`${x},${y}`);
      }
  }
  expect(misplaced).toEqual([]);
  for (const p of panels.filter((p) => p.type !== "row")) {
    expect({ title: p.title, datasource: p.datasource }).toEqual({ title: p.title, datasource: chosen });
    for (const t of p.targets ?? []) expect({ title: p.title, datasource: t.datasource }).toEqual({ title: p.title, datasource: chosen });
  }
});

describe.skipIf(!havePrometheus)("Prometheus and Grafana examples (examples/monitoring)", () => {
  test("promtool accepts the Prometheus config, with its rule file, and the alert rules", async () => {
    const config = await run(["promtool", "check", "config", join(examples, "prometheus.yml")]);
    expect(config.stderr).toBe("");
    expect(config.code).toBe(0);
    expect(config.stdout).toMatch(/SUCCESS: 1 rule files found/);
    const checked = await run(["promtool", "check", "rules", join(examples, "k2pow-alerts.yml")]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    // What an operator reads when one fires: how bad, what, and what to do.
    for (const alert of alerts) {
      expect(alert.labels?.severity).toMatch(/^(warning|critical)$/);
      expect(alert.annotations?.summary).toBeTruthy();
      expect(alert.annotations?.description).toBeTruthy();
    }
    // The rules pick the targets by the config's job names.
    const jobs = [...readFileSync(join(examples, "prometheus.yml"), "utf8").matchAll(/^\s+- job_name: (\S+)$/gm)].map((m) => m[1]);
    expect(jobs).toEqual(["k2pow-workers", "k2pow-pool"]);
    for (const [, name] of alerts.flatMap((a) => [...a.expr.matchAll(/job="([^"]+)"/g)])) expect(jobs).toContain(name);
  });

  test("promtool's unit tests: every alert fires when it should, and is shown quiet at another time", async () => {
    const result = await run(["promtool", "test", "rules", join(examples, "k2pow-alerts.test.yml")]);
    if (result.code !== 0) console.log(result.stdout + result.stderr);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS/);
    const tests = (Bun.YAML.parse(readFileSync(join(examples, "k2pow-alerts.test.yml"), "utf8")) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
    }).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alerts) {
      const of = tests.filter((t) => t.alertname === alert);
      expect({ alert, fires: of.some((t) => (t.exp_alerts ?? []).length > 0) }).toEqual({ alert, fires: true });
      expect({ alert, quiet: of.some((t) => (t.exp_alerts ?? []).length === 0) }).toEqual({ alert, quiet: true });
    }
  });

  test("a Prometheus run from the example config scrapes a worker and a pool through basic auth, and evaluates the rules on them", async () => {
    const stack = await startStack();
    try {
      const up = await stack.values('count(up{job=~"k2pow-workers|k2pow-pool"} == 1) == 4');
      expect(up[0]!.value[1]).toBe("4");
      // Every target keeps its box label, for the alerts and the dashboard to name it by.
      const boxes = (await stack.query("up")).data.result.map((s) => `${s.metric.job}/${s.metric.box}`).sort();
      expect(boxes).toEqual(["k2pow-pool/pool", "k2pow-workers/attic", "k2pow-workers/rig-01", "k2pow-workers/rig-02"]);

      // A job on each, both running for the rest of the test: the pool has no workers to give it to.
      const authorization = `Basic ${btoa(`${USER}:${PASSWORD}`)}`;
      for (const base of [stack.worker.base, stack.pool.base]) expect((await fetch(base + job, { headers: { authorization } })).status).toBe(201);
      const rate = await stack.values('instance:k2pow_hash_rate:while_running{box="rig-01"} > 0');
      expect(Number(rate[0]!.value[1])).toBeGreaterThan(0);
      const expected = await stack.values('k2pow_job_expected_hashes{box="rig-01"} > 0');
      expect(Number(expected[0]!.value[1])).toBeGreaterThan(2 ** 30);
      await stack.values('k2pow_job_running_seconds{box="rig-01"} > 0');
      expect((await stack.values('k2pow_pool_queue_length{box="pool"} == 1'))[0]!.value[1]).toBe("1");
      expect((await stack.values('k2pow_pool_workers{box="pool"}'))[0]!.value[1]).toBe("0");
      await stack.values('k2pow_pool_job_expected_hashes{box="pool"} > 0');
      await stack.values('k2pow_pool_queue_oldest_wait_seconds{box="pool"}');
      // Jobs and no workers: the alert is on its way (pending for its 5 minutes).
      const pending = await stack.values('ALERTS{alertname="K2powPoolNoWorkers"}');
      expect(pending[0]!.metric).toMatchObject({ alertstate: "pending", severity: "critical", box: "pool" });

      // Every rule loaded and evaluated without error.
      type Loaded = { name: string; health: string; lastError?: string };
      const loaded = await until("every rule evaluated", async () => {
        const { data } = await stack.get<{ groups: { rules: Loaded[] }[] }>("/rules");
        const all = data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health !== "unknown") ? all : null;
      });
      expect(loaded.map((r) => r.name).sort()).toEqual(rules.map((r) => r.alert ?? r.record!).sort());
      expect(loaded.filter((r) => r.health !== "ok")).toEqual([]);
    } finally {
      await stack.stop();
    }
  }, 90_000);

  test("every query of the dashboard and the rules is valid PromQL and names only metrics the worker and the pool export", async () => {
    const stack = await startStack();
    try {
      const known = new Set([
        "up",
        ...exported(await stack.metricsOf(stack.worker.base)),
        ...exported(await stack.metricsOf(stack.pool.base)),
        ...rules.flatMap((r) => (r.record === undefined ? [] : [r.record])),
      ]);
      expect(known.has("k2pow_hash_rate") && known.has("k2pow_pool_workers")).toBe(true);
      const variableMetrics = dashboard.templating.list
        .filter((v) => v.type === "query")
        .map((v) => v.definition!.match(/^label_values\((\w+), *\w+\)$/)![1]!);
      const queries = [...dashboardQueries, ...rules.map((r) => ({ title: r.alert ?? r.record!, expr: r.expr }))];
      expect(dashboardQueries.length).toBeGreaterThan(20);
      const unknown: string[] = [];
      for (const { title, expr } of queries) {
        const names = metricNames(withoutVariables(expr));
        expect({ title, names: names.length > 0 }).toEqual({ title, names: true });
        for (const name of names) if (!known.has(name)) unknown.push(`${title}: ${name}`);
      }
      for (const name of variableMetrics) if (!known.has(name)) unknown.push(`variable: ${name}`);
      const invalid: string[] = [];
      for (const { title, expr } of queries) {
        const answer = await stack.query(withoutVariables(expr));
        if (answer.status !== "success") invalid.push(`${title}: ${answer.error}`);
      }
      expect({ unknown, invalid }).toEqual({ unknown: [], invalid: [] });
    } finally {
      await stack.stop();
    }
  }, 90_000);
});
