import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stopChildProcess } from "@wharf/bus";
import { getFreePort } from "./free-port.js";
import { waitFor } from "./wait-for.js";

export interface TestPrometheus {
  url: string;
  /** Evaluates a PromQL query now; resolves with its series (label sets and values). */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/**
 * Starts the Debian package's Prometheus on loopback for a test, scraping
 * `targets` (host:port) every second as job "wharf" (what the dashboard and
 * the alert rules select), with its own data folder under `base`.
 */
export async function startPrometheus(base: string, targets: string[]): Promise<TestPrometheus> {
  const dir = join(base, "prometheus");
  mkdirSync(join(dir, "data"), { recursive: true });
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: wharf",
      "    static_configs:",
      `      - targets: [${targets.map((target) => `"${target}"`).join(", ")}]`,
      "",
    ].join("\n"),
  );
  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn("prometheus", [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"], { stdio: ["ignore", "ignore", "pipe"] });
  const output: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${output.join("")}`);
      return fetch(`${url}/-/ready`).then((response) => (response.ok ? true : undefined), () => undefined);
    },
    { timeoutMs: 30_000, what: "prometheus ready" },
  );
  return {
    url,
    query: async (expr) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== "success") throw new Error(`query failed: ${expr}: ${body.error}`);
      return body.data?.result ?? [];
    },
    stop: async () => {
      process.off("exit", killOnExit);
      await stopChildProcess(child);
    },
  };
}
