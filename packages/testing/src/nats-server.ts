import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestNatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its store unless asked to keep it. */
  stop(options?: { keepStore?: boolean }): Promise<void>;
}

export interface NatsServerOptions {
  /** The binary; `nats-server` on PATH by default. */
  binary?: string;
  /** Where JetStream keeps its files; a fresh temp folder by default. */
  storeDir?: string;
  /** A fixed port; by default the server picks a free one (-p -1). */
  port?: number;
  startTimeoutMs?: number;
}

const LISTENING = /Listening for client connections on [^\s]+:(\d+)/;
const READY = /Server is ready/;

/**
 * Starts a real nats-server with JetStream on loopback for a test, the way
 * nats.js's own tests do: no mocked bus. The port comes from the server's own
 * log line, so parallel test files never race for a port.
 */
export async function startNatsServer({ binary = "nats-server", storeDir, port, startTimeoutMs = 15_000 }: NatsServerOptions = {}): Promise<TestNatsServer> {
  const store = storeDir ?? (await mkdtemp(join(tmpdir(), "wharf-nats-")));
  const child = spawn(binary, ["-a", "127.0.0.1", "-p", String(port ?? -1), "-js", "-sd", store], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const boundPort = await new Promise<number>((resolve, reject) => {
    let found: number | undefined;
    const timer = setTimeout(() => finish(new Error(`nats-server did not start in ${startTimeoutMs} ms:\n${log}`)), startTimeoutMs);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = LISTENING.exec(log);
      if (match) found = Number(match[1]);
      if (found !== undefined && READY.test(log)) finish(undefined, found);
    };
    const onExit = (code: number | null) => finish(new Error(`nats-server exited (${code}) before it was ready:\n${log}`));
    const onError = (error: Error) => finish(error);
    function finish(error: Error | undefined, value?: number) {
      clearTimeout(timer);
      child.stderr.off("data", onData);
      child.stdout.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
      if (error) {
        child.kill("SIGKILL");
        reject(error);
      } else resolve(value as number);
    }
    child.stderr.on("data", onData);
    child.stdout.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
  // Keep draining the pipes so a chatty server never blocks on a full pipe.
  child.stderr.resume();
  child.stdout.resume();
  return {
    url: `nats://127.0.0.1:${boundPort}`,
    port: boundPort,
    storeDir: store,
    process: child,
    stop: async ({ keepStore = false } = {}) => {
      await stopChild(child);
      if (!keepStore && !storeDir) await rm(store, { recursive: true, force: true });
    },
  };
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL; resolves when the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
