import { type ChildProcess, spawn } from "node:child_process";

export interface NatsServerProcess {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface NatsServerProcessOptions {
  /** Folder for JetStream's files. */
  storeDir: string;
  host?: string;
  /** -1 lets the server pick a free port (read back from its log). */
  port: number;
  binary?: string;
  startTimeoutMs?: number;
  /** Receives every line the server logs. */
  onLog?: (line: string) => void;
  /** Runs the server in its own process group, so a terminal's Ctrl-C does not stop it before its clients. */
  detached?: boolean;
  /** A configuration file (a cluster node's routes, say); it then sets the port and store, and `host`, `port` and `storeDir` are not passed. */
  configFile?: string;
  /** The identities and permissions clients must use (`writeNatsAuthorization`); without it the server takes anonymous clients. */
  authorizationFile?: string;
}

const LISTENING = /Listening for client connections on [^\s]+:(\d+)/;
const READY = /Server is ready/;

/** Thrown when the nats-server binary is not on PATH, so callers can say how to install it. */
export class NatsServerMissingError extends Error {
  override name = "NatsServerMissingError";
}

/**
 * Runs a local nats-server with JetStream as a child process and resolves once
 * it accepts clients. Used by `npm start` (a store under the data folder) and
 * by tests (a temp store and a port the server picks itself).
 */
export async function startNatsServerProcess({
  storeDir,
  host = "127.0.0.1",
  port,
  binary = "nats-server",
  startTimeoutMs = 15_000,
  onLog,
  detached = false,
  configFile,
  authorizationFile,
}: NatsServerProcessOptions): Promise<NatsServerProcess> {
  // The authorization file is a configuration of its own; the flags after it set the rest.
  const args = configFile ? ["-c", configFile] : [...(authorizationFile ? ["-c", authorizationFile] : []), "-a", host, "-p", String(port), "-js", "-sd", storeDir];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], detached });
  let log = "";
  let partial = "";
  const forward = (chunk: Buffer) => {
    if (!onLog) return;
    const text = partial + chunk.toString();
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLog(line);
  };
  child.stdout.on("data", forward);
  child.stderr.on("data", forward);
  const boundPort = await new Promise<number>((resolve, reject) => {
    let found: number | undefined;
    const timer = setTimeout(() => finish(new Error(`nats-server did not start within ${startTimeoutMs} ms:\n${log}`)), startTimeoutMs);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = LISTENING.exec(log);
      if (match) found = Number(match[1]);
      if (found !== undefined && READY.test(log)) finish(undefined, found);
    };
    const onExit = (code: number | null) => finish(new Error(`nats-server exited (code ${code}) before it was ready:\n${log}`));
    const onError = (error: NodeJS.ErrnoException) =>
      finish(error.code === "ENOENT" ? new NatsServerMissingError(`${binary} was not found on PATH`) : error);
    function finish(error: Error | undefined, value?: number) {
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.stderr.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
      if (error) {
        child.kill("SIGKILL");
        reject(error);
      } else resolve(value as number);
    }
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
  // Keep reading so a chatty server never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  return {
    url: `nats://${host}:${boundPort}`,
    port: boundPort,
    process: child,
    stop: (graceMs = 5_000) => stopChildProcess(child, graceMs),
  };
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL; resolves when the process is gone. */
export async function stopChildProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
