import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopChildProcess } from "@wharf/bus";
import { waitFor } from "./wait-for.js";

/** One listener behind the balancer. */
export interface BalancedListener {
  name: string;
  /** Its control port's address. */
  host: string;
  port: number;
  /** Its passive range: forwarded as is (same port numbers) from the balancer's address to the listener's. */
  passive: { low: number; high: number };
  /** With a metrics port, HAProxy sends new partners only to a listener whose /readyz answers 200 (checked every 500 ms). */
  readyzPort?: number;
}

export interface TestHaproxy {
  /** The partners' address: the control port and every listener's passive range are here. */
  host: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The HAProxy configuration Wharf's scale-out runs with: TCP mode, the control
 * port balanced over the listeners (fewest connections first), each listener's
 * passive range forwarded to it alone, and the PROXY protocol v2 on every
 * connection so the listeners see the partners' addresses.
 */
export function haproxyConfig({ host, port, listeners, maxconn = 4_000 }: { host: string; port: number; listeners: BalancedListener[]; maxconn?: number }): string {
  const lines = [
    "global",
    `  maxconn ${maxconn}`,
    "defaults",
    "  mode tcp",
    "  timeout connect 5s",
    // A listener that stopped accepting (draining) refuses the connection: it is tried on another one.
    "  retries 3",
    "  option redispatch",
    // An FTP control connection may sit idle between transfers for as long as the listener allows (its idle timeout).
    "  timeout client 15m",
    "  timeout server 15m",
    `  maxconn ${maxconn}`,
    "frontend ftp_control",
    `  bind ${host}:${port}`,
    "  default_backend listeners",
    "backend listeners",
    "  balance leastconn",
    ...(listeners.some((listener) => listener.readyzPort) ? ["  option httpchk GET /readyz"] : []),
    ...listeners.map(
      (listener) =>
        `  server ${listener.name} ${listener.host}:${listener.port} send-proxy-v2${listener.readyzPort ? ` check port ${listener.readyzPort} inter 500ms fall 1 rise 1` : ""}`,
    ),
  ];
  for (const listener of listeners) {
    lines.push(
      `frontend passive_${listener.name}`,
      `  bind ${host}:${listener.passive.low}-${listener.passive.high}`,
      `  default_backend passive_${listener.name}`,
      `backend passive_${listener.name}`,
      // No port: the connection goes to the port it came in on.
      `  server ${listener.name} ${listener.host} send-proxy-v2`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Starts the Debian package's HAProxy in the foreground with `haproxyConfig`, and waits until its
 * control port accepts. HAProxy needs two descriptors per connection: `maxconn` must fit the process's limit.
 */
export async function startHaproxy(options: { host: string; port: number; listeners: BalancedListener[]; maxconn?: number }): Promise<TestHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), "wharf-haproxy-"));
  const file = join(dir, "haproxy.cfg");
  writeFileSync(file, haproxyConfig(options));
  const child = spawn("haproxy", ["-db", "-f", file], { stdio: ["ignore", "ignore", "pipe"] });
  const output: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  try {
    const up = await waitFor(
      (): Promise<"up" | "exited" | undefined> => {
        if (child.exitCode !== null) return Promise.resolve("exited");
        return new Promise<"up" | undefined>((resolve) => {
          const probe = connect({ host: options.host, port: options.port }, () => {
            probe.destroy();
            resolve("up");
          });
          probe.on("error", () => resolve(undefined));
        });
      },
      { timeoutMs: 15_000, what: "haproxy listening" },
    );
    if (up === "exited") throw new Error(`haproxy exited (${child.exitCode}):\n${output.join("")}`);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    host: options.host,
    port: options.port,
    stop: async () => {
      process.off("exit", killOnExit);
      await stopChildProcess(child, 2_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
