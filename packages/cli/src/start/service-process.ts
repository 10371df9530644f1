import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { stopChildProcess } from "@wharf/bus";

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<string>;
  stop(graceMs: number): Promise<void>;
}

/**
 * Runs one Wharf service as its own Node process (the Node that runs this
 * launcher) and prefixes each of its log lines with its name.
 */
export function spawnService(name: string, mainFile: string, env: NodeJS.ProcessEnv, write: (line: string) => void): ServiceProcess {
  // detached: a terminal's Ctrl-C reaches only the launcher, which stops the services in order.
  // stdin is a pipe the child watches (WHARF_STOP_WITH_STDIN): if this launcher dies, even by SIGKILL, the child stops too.
  const child = spawn(process.execPath, ["--enable-source-maps", mainFile], {
    env: { ...env, WHARF_STOP_WITH_STDIN: "true" },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  const width = 16;
  const prefix = `[${name}]`.padEnd(width);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => write(`${prefix} ${line}`));
  }
  const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? `code ${code}`)));
  return { name, child, exited, stop: (graceMs) => stopChildProcess(child, graceMs) };
}

/** Polls a service's /readyz until it answers 200, the process dies, or the time is up. */
export async function waitUntilReady(service: ServiceProcess, metricsPort: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void service.exited.then(() => {
    dead = true;
  });
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${service.name} exited during start-up`);
    const ok = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${service.name} was not ready within ${timeoutMs} ms`);
}
