/**
 * Issue 7: the Grafana dashboard and the alert rules in deploy/, proven
 * against a real Prometheus (Debian package) scraping a Wharf started as
 * `npm start` starts it, after a workload a partner would make: uploads and
 * downloads with curl, a push by a pipeline, failed logins until a ban, and a
 * refused connection. Every query of every panel must return data.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startPrometheus, type TestPrometheus, waitFor } from "@wharf/testing";
import { type RunningWharf, startWharf, stopWharf, wharfCli, writeLoopbackConfig } from "./stack.js";

const run = promisify(execFile);
const deploy = fileURLToPath(new URL("../../../deploy/", import.meta.url));
let wharf: RunningWharf;
let prometheus: TestPrometheus;

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Array<{ refId: string; expr: string; datasource?: { uid: string } }>;
}

before(async () => {
  // A low ban threshold, so that the workload's failed logins make a ban.
  wharf = await startWharf({ extraEnv: { WHARF_AUTH_BAN_THRESHOLD: "3" } });
  const { listener, auth, storage, outbound } = wharf.metricsPorts;
  prometheus = await startPrometheus(wharf.dataDir, [listener, auth, storage, outbound].map((port) => `127.0.0.1:${port}`));
});
after(async () => {
  await prometheus?.stop();
  await stopWharf(wharf);
});

const curl = (user: string, password: string, ...args: string[]) =>
  run("curl", ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--max-time", "30", "-u", `${user}:${password}`, ...args], { encoding: "buffer", maxBuffer: 16 * 1024 * 1024 });

async function workload(): Promise<void> {
  const cli = await wharfCli(wharf, "apply", "-f", await writeLoopbackConfig(wharf));
  assert.equal(cli.code, 0, cli.stderr);
  const url = (path: string) => `ftp://127.0.0.1:${wharf.ftpPort}${path}`;
  const source = join(wharf.dataDir, "workload.bin");
  await writeFile(source, randomBytes(256 * 1024));
  for (let index = 0; index < 3; index++) await curl("demo", wharf.password, "--ftp-create-dirs", "-T", source, url(`/outbox/file-${index}.bin`));
  await curl("demo", wharf.password, url("/outbox/file-0.bin"), "-o", join(wharf.dataDir, "back.bin"));
  // The pipeline pushes them to /inbox over Wharf's own listener.
  await waitFor(() => curl("demo", wharf.password, url("/inbox/file-2.bin"), "-o", "/dev/null").then(() => true, () => undefined), {
    timeoutMs: 30_000,
    intervalMs: 200,
    what: "the pushed files",
  });
  // Wrong passwords from 127.0.0.2 until it is banned; its next connection is refused at once.
  for (let index = 0; index < 3; index++) await curl("demo", "wrong-password", "--interface", "127.0.0.2", url("/")).catch(() => undefined);
  await waitFor(
    () =>
      curl("demo", wharf.password, "--interface", "127.0.0.2", url("/")).then(
        () => undefined,
        () => true,
      ),
    { what: "127.0.0.2 refused" },
  );
}

test("every panel of the Grafana dashboard returns data from a real Prometheus scraping a running Wharf", async () => {
  await workload();
  const dashboard = JSON.parse(await readFile(join(deploy, "grafana/dashboards/wharf.json"), "utf8")) as { uid: string; panels: Panel[] };
  const panels = dashboard.panels.filter((panel) => panel.type !== "row");
  assert.ok(panels.length >= 15, `${panels.length} panels`);
  const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
  const empty: string[] = [];
  for (const { panel, expr } of queries) {
    // Scrapes are every second: a query whose data has not been scraped yet gets a few seconds.
    const series = await waitFor(async () => {
      const result = await prometheus.query(expr);
      return result.length > 0 ? result : undefined;
    }, { timeoutMs: 15_000, intervalMs: 500, what: `data for "${panel}"` }).catch(() => undefined);
    if (!series) empty.push(`${panel}: ${expr}`);
  }
  assert.deepEqual(empty, [], "panels without data");
  // And the data says what happened (as scraped: counters' raw values, once the last scrape has them).
  const value = async (expr: string) => Number((await prometheus.query(expr))[0]?.value[1]);
  const settled = (expr: string, wanted: number) => waitFor(async () => ((await value(expr)) === wanted ? true : undefined), { what: `${expr} = ${wanted}` });
  await settled('sum(wharf_outbound_deliveries_total{result="delivered"})', 3);
  await settled('sum(wharf_ftp_transfers_total{direction="upload", outcome="ok"})', 6); // three uploads and three pushes in
  await settled('sum(wharf_ftp_sessions_refused_total{reason="banned"})', 1);
  await settled("sum(wharf_auth_bans_total)", 1);
  assert.equal(await value("sum(wharf_outbound_dead_letters)"), 0);
  assert.equal((await prometheus.query('up{job="wharf"} == 1')).length, 4, "four services scraped");
});

test("the dashboard's panels are well formed: unique ids, the provisioned datasource, a query each", async () => {
  const dashboard = JSON.parse(await readFile(join(deploy, "grafana/dashboards/wharf.json"), "utf8")) as { uid: string; panels: Panel[] };
  const datasources = await readFile(join(deploy, "grafana/provisioning/datasources/prometheus.yml"), "utf8");
  const uid = /^\s+uid: (\S+)$/m.exec(datasources)?.[1];
  assert.equal(uid, "wharf-prometheus");
  const ids = dashboard.panels.map((panel) => panel.id);
  assert.equal(new Set(ids).size, ids.length, "unique panel ids");
  for (const panel of dashboard.panels.filter((candidate) => candidate.type !== "row")) {
    assert.equal(panel.datasource?.uid, uid, panel.title);
    assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`);
    for (const target of panel.targets ?? []) assert.equal(target.datasource?.uid, uid, `${panel.title} ${target.refId}`);
  }
});

test("the alert rules and the Prometheus configuration pass promtool, and each alert fires on its unit test's series", async () => {
  const promtool = (...args: string[]) => run("promtool", args, { cwd: join(deploy, "prometheus") });
  assert.match((await promtool("check", "rules", "alerts.yml")).stdout, /SUCCESS: 9 rules found/);
  assert.match((await promtool("check", "config", "prometheus.yml")).stdout, /SUCCESS/);
  assert.match((await promtool("test", "rules", "alerts.test.yml")).stdout, /SUCCESS/);
});

test("docs/metrics.md lists every wharf_ metric the four services export", async () => {
  const catalog = await readFile(fileURLToPath(new URL("../../../docs/metrics.md", import.meta.url)), "utf8");
  const exported = new Set<string>();
  for (const port of Object.values(wharf.metricsPorts)) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const match of text.matchAll(/^# HELP (wharf_\w+) /gm)) exported.add(match[1] as string);
  }
  assert.ok(exported.size >= 30, `${exported.size} metrics`);
  const missing = [...exported].filter((name) => !catalog.includes(`\`${name}\``));
  assert.deepEqual(missing, [], "metrics missing from docs/metrics.md");
});
