import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomInt, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { connectBus, type NatsConnection } from "@wharf/bus";
import { createLogger } from "@wharf/telemetry";
import { getFreePort } from "@wharf/testing";

export interface RunningWharf {
  process: ChildProcess;
  dataDir: string;
  ftpPort: number;
  natsUrl: string;
  /** The admin identity's nkey seed, which `wharf start` made: the embedded NATS takes no anonymous client. */
  adminSeedFile: string;
  metricsPorts: Record<"listener" | "auth" | "storage" | "outbound", number>;
  password: string;
  /** Everything the launcher printed, for assertions and for debugging a failure. */
  output: string[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

const run = promisify(execFile);
const launcher = fileURLToPath(new URL("../../../packages/cli/dist/src/main.js", import.meta.url));

/**
 * Starts Wharf exactly as `npm start` does (the same launcher, its own
 * nats-server), on free ports and a fresh data folder, and waits for its
 * "ready" line.
 */
export async function startWharf({ passivePortCount = 100, extraEnv = {} }: { passivePortCount?: number; extraEnv?: Record<string, string> } = {}): Promise<RunningWharf> {
  const dataDir = await mkdtemp(join(tmpdir(), "wharf-e2e-"));
  const [natsPort, ftpPort, grpcPort, listener, auth, storage, outbound] = await Promise.all(Array.from({ length: 7 }, () => getFreePort()));
  const passiveLow = 20_000 + randomInt(200) * 100;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WHARF_DATA_DIR: dataDir,
    WHARF_NATS_PORT: String(natsPort),
    WHARF_FTP_HOST: "127.0.0.1",
    WHARF_FTP_PORT: String(ftpPort),
    WHARF_FTP_PASSIVE_PORTS: `${passiveLow}-${passiveLow + passivePortCount - 1}`,
    WHARF_STORAGE_GRPC_ADDRESS: `127.0.0.1:${grpcPort}`,
    WHARF_STORAGE_ADDRESS: `127.0.0.1:${grpcPort}`,
    WHARF_LISTENER_METRICS_PORT: String(listener),
    WHARF_AUTH_METRICS_PORT: String(auth),
    WHARF_STORAGE_METRICS_PORT: String(storage),
    WHARF_OUTBOUND_METRICS_PORT: String(outbound),
    ...extraEnv,
  };
  delete env.NATS_URL;
  delete env.WHARF_NATS_URL;
  delete env.WHARF_TLS_CERT_FILE;
  delete env.WHARF_TLS_KEY_FILE;
  // stdin is a pipe the launcher watches: if this test process dies, even by SIGKILL, Wharf stops too.
  const child = spawn(process.execPath, [launcher, "start"], { env: { ...env, WHARF_STOP_WITH_STDIN: "true" }, stdio: ["pipe", "pipe", "pipe"] });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Wharf did not get ready:\n${output.join("\n")}`)), 60_000);
    lines.on("line", (line) => {
      output.push(line);
      if (line.includes("Wharf is ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`wharf start exited (${code}) before it was ready:\n${output.join("\n")}`));
    });
  });
  const credentials = await readFile(join(dataDir, "demo-credentials.txt"), "utf8");
  const password = /^password: (\S+)$/m.exec(credentials)?.[1];
  if (!password) throw new Error("no password in demo-credentials.txt");
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    process: child,
    dataDir,
    ftpPort,
    natsUrl: `nats://127.0.0.1:${natsPort}`,
    adminSeedFile: join(dataDir, "nats-identities", "admin.nk"),
    metricsPorts: { listener, auth, storage, outbound },
    password,
    output,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** The `wharf` CLI against a running Wharf's NATS; resolves with its exit code and output (a failing command does not reject). */
export function wharfCli(wharf: Pick<RunningWharf, "natsUrl" | "adminSeedFile">, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [launcher, ...args], { env: { ...process.env, WHARF_NATS_URL: wharf.natsUrl, WHARF_NATS_NKEY_FILE: wharf.adminSeedFile } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** A NATS connection to a running Wharf as its admin identity (what the CLI uses). */
export function connectAsAdmin(wharf: Pick<RunningWharf, "natsUrl" | "adminSeedFile">, name: string): Promise<NatsConnection> {
  return connectBus({ url: wharf.natsUrl, name, identity: "admin", credentials: { nkeyFile: wharf.adminSeedFile } }, createLogger({ service: "e2e", level: "silent" }));
}

/** Stops the Wharf a test file started, checks that it stopped cleanly (exit code 0), and removes its data folder. */
export async function stopWharf(wharf: RunningWharf | undefined): Promise<void> {
  if (!wharf) return;
  const code = await wharf.stop();
  await rm(wharf.dataDir, { recursive: true, force: true });
  assert.equal(code, 0, `wharf start exited with ${code}:\n${wharf.output.slice(-20).join("\n")}`);
  // Every service and the CLI did their work within their NATS permissions: nats-server logs each refusal
  // with the connection's name (a test's own intruders have other names).
  const violations = wharf.output.filter((line) => /Violation/.test(line) && /"[^"]*:wharf-[a-z-]+"/.test(line));
  assert.deepEqual(violations, [], "no permissions violation by Wharf's own connections");
}

/**
 * A configuration file for `wharf apply -f` with Wharf's own listener as the
 * partner: endpoint `self` (explicit FTPS, the first run's certificate pinned,
 * user demo, its password in a file) and pipeline `loop`, which pushes what
 * is stored under /outbox to /inbox. Resolves with the file's path.
 */
export async function writeLoopbackConfig(wharf: RunningWharf): Promise<string> {
  const passwordFile = join(wharf.dataDir, "self-password");
  await writeFile(passwordFile, `${wharf.password}\n`, { mode: 0o600 });
  const fingerprint = new X509Certificate(await readFile(join(wharf.dataDir, "tls/server.crt"))).fingerprint256;
  const config = join(wharf.dataDir, "outbound.yaml");
  await writeFile(
    config,
    [
      "endpoints:",
      "  - name: self",
      "    host: 127.0.0.1",
      `    port: ${wharf.ftpPort}`,
      "    user: demo",
      `    password: { file: ${passwordFile} }`,
      `    trust: { fingerprint: "${fingerprint}" }`,
      "    remoteFolder: /inbox",
      "pipelines:",
      "  - name: loop",
      "    source: { folder: /outbox }",
      "    target: self",
      "",
    ].join("\n"),
  );
  return config;
}
