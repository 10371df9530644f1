import { type ChildProcess, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { waitFor } from "./wait-for.js";

/** A partner's FTP server started by a test (vsftpd, pure-ftpd), with one user. */
export interface FtpPartner {
  port: number;
  user: string;
  password: string;
  /** The folder the user's files land in ("/" to the user: partners chroot their users). */
  root: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Resolves once something accepts connections on the loopback port, for servers with no ready line (vsftpd, pure-ftpd). */
export async function waitForListening(port: number, child: ChildProcess, name: string): Promise<void> {
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it listened on ${port}`);
      return new Promise<true | undefined>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(undefined));
      });
    },
    { timeoutMs: 10_000, what: `${name} listening on ${port}` },
  );
}

/**
 * Stops a partner server and the session processes it forked, which outlive
 * it: vsftpd serves each connection from a child that makes itself a session
 * leader, so neither its parent's exit nor a signal to its process group
 * reaches it. They are found by their parent process ids before the server
 * stops, and stopped by pid.
 */
export async function stopPartnerProcesses(child: ChildProcess, graceMs = 5_000): Promise<void> {
  const sessions = child.pid === undefined ? [] : descendantsOf(child.pid);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
  for (const pid of sessions) signal(pid, "SIGKILL");
}

/** Kills the partner and its sessions if the test process exits without stopping it; returns what undoes that. */
export function killPartnerOnExit(child: ChildProcess): () => void {
  const kill = () => {
    const sessions = child.pid === undefined ? [] : descendantsOf(child.pid);
    child.kill("SIGKILL");
    for (const pid of sessions) signal(pid, "SIGKILL");
  };
  process.once("exit", kill);
  return () => process.off("exit", kill);
}

/** Every process below `pid` (children, their children, …), from /proc. */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …": the command may hold spaces and parentheses, so read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // It exited while we looked.
    }
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift() as number) ?? [];
    found.push(...next);
    queue = [...queue, ...next];
  }
  return found;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

/** Starts a partner's server in its own process group, waits until it listens, and gives it a stop() that ends its sessions too. */
export async function runPartnerServer(
  command: string,
  args: string[],
  { name, port, user, password, root }: { name: string; port: number; user: string; password: string; root: string },
): Promise<FtpPartner> {
  const child = spawn(command, args, { stdio: "ignore", detached: true });
  const forget = killPartnerOnExit(child);
  await waitForListening(port, child, name);
  return {
    port,
    user,
    password,
    root,
    child,
    stop: async () => {
      forget();
      await stopPartnerProcesses(child);
    },
  };
}

/**
 * An endpoint, as `wharf apply` takes it, for a partner a test started: on
 * loopback, as the partner's user, the password by reference to the
 * environment variable `passwordEnv`, the partner's certificate pinned, and
 * files delivered to /NAME. `extra` overrides any of it.
 */
export function partnerEndpoint(
  partner: Pick<FtpPartner, "port" | "user">,
  certificatePem: string | Buffer,
  { name, passwordEnv, ...extra }: { name: string; passwordEnv: string } & Record<string, unknown>,
): Record<string, unknown> {
  return {
    name,
    host: "127.0.0.1",
    port: partner.port,
    user: partner.user,
    password: { env: passwordEnv },
    trust: { fingerprint: new X509Certificate(certificatePem).fingerprint256.replaceAll(":", "") },
    remoteFolder: `/${name}`,
    ...extra,
  };
}
