/**
 * Wharf as a fleet, on one machine's loopback (issue 8): a three-node NATS
 * cluster with JetStream (replicas 3 for every stream and bucket), two of each
 * service, storage on the shared nats backend, and HAProxy in front of the two
 * listeners with the PROXY protocol v2 on the control port and the passive
 * ports. Partners connect to 127.0.0.1; the listeners listen on 127.0.0.2 and
 * 127.0.0.3, each with its own passive range, forwarded by HAProxy.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { hashPassword } from "@wharf/auth";
import { connectBus, type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, createStorageClient, type StorageClient, type UserRecordInput } from "@wharf/contracts";
import { createLogger } from "@wharf/telemetry";
import { getFreePort, makeTestCertificates, waitFor, startHaproxy, startNatsCluster, type TestCertificates, type TestHaproxy, type TestNatsCluster } from "@wharf/testing";
import { createUserStore } from "@wharf/auth";

export type ServiceKind = "auth" | "storage" | "outbound" | "listener";

const MAINS: Record<ServiceKind, string> = {
  auth: "services/auth/dist/src/main.js",
  storage: "services/storage/dist/src/main.js",
  outbound: "services/outbound/dist/src/main.js",
  listener: "services/control-listener/dist/src/main.js",
};
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);

/** One service instance the stack runs, as a supervisor (compose, Kubernetes) would: it can be stopped, killed and started again. */
export interface ManagedService {
  readonly name: string;
  readonly kind: ServiceKind;
  readonly metricsPort: number;
  readonly env: NodeJS.ProcessEnv;
  /** The running process, or undefined while it is down. */
  readonly child: ChildProcess | undefined;
  /** Every line it printed, over all its runs. */
  readonly output: string[];
  /** Starts it and resolves once its /readyz answers 200. */
  start(): Promise<void>;
  /** Sends `signal` and resolves with how it exited. */
  signal(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ScaleStack {
  /** Where partners connect: HAProxy. */
  ftp: { host: string; port: number };
  nats: TestNatsCluster;
  /** A connection to the cluster for the test's own checks. */
  nc: NatsConnection;
  services: ManagedService[];
  service(name: string): ManagedService;
  certs: TestCertificates;
  haproxy: TestHaproxy;
  /** The folder the stack's temporary files live in. */
  dir: string;
  addUser(user: UserRecordInput & { password: string }): Promise<void>;
  /** A storage client as outbound has it (its certificate may read every root), over both instances. */
  storageClient(): Promise<StorageClient>;
  stop(): Promise<void>;
}

export interface ScaleOptions {
  /** Added to every service's environment (limits, timeouts, the partner's password). */
  env?: Record<string, string>;
  /** Per listener. */
  passivePorts?: number;
  maxSessionsPerIp?: number;
  /** HAProxy's connection limit (two descriptors each). */
  maxconn?: number;
  /** Service log level; their ready lines are at info. */
  logLevel?: string;
}

/** Starts the whole fleet; every service is ready when this resolves. */
export async function startScaleStack(options: ScaleOptions = {}): Promise<ScaleStack> {
  const dir = await mkdtemp(join(tmpdir(), "wharf-scale-"));
  const certs = await makeTestCertificates(join(dir, "certs"));
  // gRPC between the services as a deployment runs it: mutual TLS with the internal CA, and session grants.
  const pki = join(dir, "pki");
  await run(process.execPath, [join(ROOT, "packages/cli/dist/src/main.js"), "certs", "init", "--dir", pki, "--hosts", "localhost,127.0.0.1", "--days", "2"]);
  const grpcTls = (role: "storage" | "listener" | "outbound") => ({
    WHARF_GRPC_TLS_CA_FILE: join(pki, "ca.crt"),
    WHARF_GRPC_TLS_CERT_FILE: join(pki, `${role}.crt`),
    WHARF_GRPC_TLS_KEY_FILE: join(pki, `${role}.key`),
  });
  // The fleet runs as a deployment should: every service with its own NATS identity and permissions.
  const identityDir = join(dir, "nats-identities");
  const nats = await startNatsCluster({ size: 3, identityDir });
  const perListener = options.passivePorts ?? 100;
  const passiveBase = await freeRange(2 * perListener);
  const storagePorts = [await getFreePort(), await getFreePort()];
  const storageAddress = storagePorts.map((port) => `127.0.0.1:${port}`).join(",");
  const common: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    WHARF_NATS_URL: nats.urls,
    WHARF_NATS_REPLICAS: "3",
    WHARF_NATS_IDENTITY_DIR: identityDir,
    WHARF_LOG_LEVEL: options.logLevel ?? "info",
    WHARF_SHUTDOWN_GRACE_MS: "20000",
    // Cheaper password hashing than production's: logins are not what this measures.
    WHARF_ARGON2_MEMORY_KIB: "8192",
    WHARF_ARGON2_PASSES: "1",
    ...options.env,
  };
  const services: ManagedService[] = [];
  const add = async (name: string, kind: ServiceKind, env: NodeJS.ProcessEnv) => {
    const metricsPort = await getFreePort();
    const metricsVariable = { auth: "WHARF_AUTH_METRICS_PORT", storage: "WHARF_STORAGE_METRICS_PORT", outbound: "WHARF_OUTBOUND_METRICS_PORT", listener: "WHARF_LISTENER_METRICS_PORT" }[kind];
    const service = managedService(name, kind, metricsPort, { ...common, ...env, [metricsVariable]: String(metricsPort) });
    services.push(service);
    return service;
  };
  for (const index of [1, 2]) {
    await add(`storage-${index}`, "storage", {
      WHARF_STORAGE_BACKEND: "nats",
      WHARF_STORAGE_INSTANCE_ID: `storage-${index}`,
      WHARF_STORAGE_GRPC_ADDRESS: `127.0.0.1:${storagePorts[index - 1]}`,
      // A killed instance's uploads and commits are taken over by the other after this long.
      WHARF_STORAGE_STALE_MS: "10000",
      ...grpcTls("storage"),
      WHARF_STORAGE_GRANT_PUBLIC_KEY_FILE: join(pki, "grant.pub"),
    });
    await add(`auth-${index}`, "auth", { WHARF_AUTH_GRANT_KEY_FILE: join(pki, "grant.key") });
    await add(`outbound-${index}`, "outbound", { WHARF_STORAGE_ADDRESS: storageAddress, WHARF_OUTBOUND_ACK_WAIT_MS: "15000", ...grpcTls("outbound") });
  }
  const listeners = [];
  for (const index of [1, 2]) {
    const host = `127.0.0.${index + 1}`;
    const low = passiveBase + (index - 1) * perListener;
    const port = await getFreePort(host);
    const service = await add(`listener-${index}`, "listener", {
      WHARF_FTP_HOST: host,
      WHARF_FTP_PORT: String(port),
      WHARF_FTP_PASSIVE_PORTS: `${low}-${low + perListener - 1}`,
      WHARF_FTP_PASSIVE_ADDRESS: "127.0.0.1",
      WHARF_FTP_PROXY_PROTOCOL: "true",
      WHARF_FTP_PROXY_TRUSTED: "127.0.0.1",
      WHARF_FTP_MAX_SESSIONS_PER_IP: String(options.maxSessionsPerIp ?? 0),
      WHARF_FTP_MAX_SESSIONS: "0",
      WHARF_TLS_CERT_FILE: certs.serverCertFile,
      WHARF_TLS_KEY_FILE: certs.serverKeyFile,
      WHARF_STORAGE_ADDRESS: storageAddress,
      ...grpcTls("listener"),
    });
    listeners.push({ name: service.name, host, port, passive: { low, high: low + perListener - 1 }, readyzPort: service.metricsPort });
  }
  let haproxy: TestHaproxy | undefined;
  let nc: NatsConnection | undefined;
  // One handler for every instance: a test process that dies takes its fleet along.
  const killOnExit = () => {
    for (const service of services) service.child?.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  const stopAll = async () => {
    process.off("exit", killOnExit);
    await haproxy?.stop();
    await Promise.all(services.map((service) => (service.child ? service.signal("SIGTERM") : undefined)));
    await nc?.close();
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Storage first (it makes the event stream and its buckets), then the rest.
    await Promise.all(services.filter((service) => service.kind === "storage").map((service) => service.start()));
    await Promise.all(services.filter((service) => service.kind !== "storage").map((service) => service.start()));
    haproxy = await startHaproxy({ host: "127.0.0.1", port: await getFreePort(), listeners, ...(options.maxconn ? { maxconn: options.maxconn } : {}) });
    nc = await connectBus({ url: nats.urls, name: "wharf-scale-test", identity: "admin", credentials: nats.adminCredentials }, createLogger({ service: "scale", level: "silent" }));
  } catch (error) {
    await stopAll();
    throw error;
  }
  const bus = nc;
  const users = await createUserStore(bus, { replicas: 3 });
  return {
    ftp: { host: haproxy.host, port: haproxy.port },
    nats,
    nc: bus,
    services,
    service: (name) => {
      const found = services.find((service) => service.name === name);
      if (!found) throw new Error(`no service ${name}`);
      return found;
    },
    certs,
    haproxy,
    dir,
    addUser: async ({ password, ...user }) => {
      await users.put({ ...user, passwordHash: await hashPassword(password, { memoryKiB: 8_192, passes: 1, parallelism: 1 }) });
    },
    storageClient: async () =>
      createStorageClient(storageAddress, {
        tls: { ca: await readFile(join(pki, "ca.crt")), cert: await readFile(join(pki, "outbound.crt")), key: await readFile(join(pki, "outbound.key")) },
      }),
    stop: stopAll,
  };
}

/**
 * The start of `size` ports that are free on 127.0.0.1 now (HAProxy binds them all at once), below the
 * ephemeral range (32768 and up), where outgoing connections' own ports would sooner or later collide.
 */
async function freeRange(size: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 10_000 + randomInt(Math.floor((32_000 - 10_000 - size) / 100)) * 100;
    const servers: Server[] = [];
    let free = true;
    for (let port = base; port < base + size && free; port++) {
      const server = createServer();
      free = await new Promise<boolean>((resolve) => {
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => resolve(true));
      });
      servers.push(server);
    }
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    if (free) return base;
  }
  throw new Error(`no ${size} free ports in a row below 32000`);
}

/** Writes an endpoint and a pipeline the way `wharf apply` does (outbound follows the buckets live). */
export async function applyPipeline(nc: NatsConnection, endpoint: Record<string, unknown>, pipeline: Record<string, unknown>): Promise<void> {
  await (await openBucket(nc, buckets.endpoints, { replicas: 3 })).put(String(endpoint.name), JSON.stringify(endpoint));
  await (await openBucket(nc, buckets.pipelines, { replicas: 3 })).put(String(pipeline.name), JSON.stringify(pipeline));
}

function managedService(name: string, kind: ServiceKind, metricsPort: number, env: NodeJS.ProcessEnv): ManagedService {
  let child: ChildProcess | undefined;
  const output: string[] = [];
  const runOnce = async () => {
    const started = spawn(process.execPath, [join(ROOT, MAINS[kind])], { env, stdio: ["ignore", "pipe", "pipe"], cwd: ROOT });
    child = started;
    started.once("exit", () => {
      if (child === started) child = undefined;
    });
    createInterface({ input: started.stderr as NodeJS.ReadableStream }).on("line", (line) => output.push(line));
    createInterface({ input: started.stdout as NodeJS.ReadableStream }).on("line", (line) => output.push(line));
    // Ready when its /readyz says so (what HAProxy and Kubernetes ask), whatever its log level.
    const ready = await waitFor(
      async () => {
        if (started.exitCode !== null || started.signalCode !== null) return "exited";
        const response = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined);
        return response?.status === 200 ? "ready" : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `${name} ready` },
    ).catch((error: Error) => error.message);
    if (ready !== "ready") throw new Error(`${name}: ${ready === "exited" ? `exited (${started.exitCode ?? started.signalCode}) before it was ready` : ready}:\n${output.slice(-30).join("\n")}`);
  };

  return {
    name,
    kind,
    metricsPort,
    env,
    get child() {
      return child;
    },
    output,
    start: async () => {
      if (child) return;
      // Like a supervisor's restart policy: an instance that dies while it starts (the bus too busy to
      // answer in time, say) is started again, twice at most.
      for (let attempt = 1; ; attempt++) {
        try {
          return await runOnce();
        } catch (error) {
          if (attempt === 3 || child) throw error;
          output.push(`[scale] ${name} did not start (try ${attempt}); starting it again`);
        }
      }
    },
    signal: async (signal) => {
      const running = child;
      if (!running) return { code: null, signal: null };
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => running.once("exit", (code, how) => resolve({ code, signal: how })));
      running.kill(signal);
      return exited;
    },
  };
}
