import type { KeyObject } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Argon2Params, type AuthService, createAuthService, createUserStore, type DefenderSettings, hashPassword, type UserStore } from "@wharf/auth";
import { connectBus, ensureStream, type NatsConnection } from "@wharf/bus";
import { createStorageClient, streams, subjects } from "@wharf/contracts";
import { createStorageMetrics, createStorageParts, type StorageService, startStorageService } from "@wharf/storage";
import { createLogger, createMetricsRegistry } from "@wharf/telemetry";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { makeTestCertificates, passivePort, RawFtpControl, startNatsServer, streamMessages, type TestCertificates, type TestNatsServer } from "@wharf/testing";
import type { Registry } from "prom-client";
import { createAuthClient } from "../src/auth-client.js";
import { createCommandTable } from "../src/commands/index.js";
import type { PortSettings } from "../src/config.js";
import { type BanWatch, watchBans } from "../src/ban-watch.js";
import { type FtpServer, startFtpServer } from "../src/ftp-server.js";
import { createListenerMetrics } from "../src/metrics.js";
import { createSessionLimits, openSessionCounts } from "../src/session-limits.js";
import type { SessionDeps } from "../src/session.js";
import { loadPortTls } from "../src/tls-contexts.js";

export const USER = "alice";
export const PASSWORD = "correct horse battery staple";

export interface ListenerStack {
  port: number;
  nc: NatsConnection;
  natsUrl: string;
  dataDir: string;
  registry: Registry;
  ftp: FtpServer;
  /** What every port of this listener shares (for a port manager of a test's own). */
  shared: Omit<SessionDeps, "settings" | "tls">;
  /** The port's settings, for a second listener instance of the same port. */
  settings: PortSettings;
  certs: TestCertificates;
  /** The users bucket, for tests that add users or change alice. */
  users: UserStore;
  /** Argon2 parameters that are quick to verify, for test users. */
  argon2: Argon2Params;
  /** How many login requests reached the auth subject. */
  authRequests(): number;
  /** Stops the storage service (to see how the listener copes with an outage). */
  stopStorage(): Promise<void>;
  /** Bodies of the file.stored events for a path. */
  eventsFor(path: string): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

/**
 * The listener with everything it talks to, in this process but over the real
 * wires: a real nats-server with JetStream, auth on NATS, storage on gRPC, TLS
 * with a throw-away CA. One user, alice.
 */
export async function startListenerStack(
  overrides: Partial<PortSettings> = {},
  { defender, grantKey, now }: { defender?: DefenderSettings; grantKey?: KeyObject; now?: () => number } = {},
): Promise<ListenerStack> {
  const log = createLogger({ service: "listener-test", level: process.env.WHARF_TEST_LOG_LEVEL ?? "silent" });
  const nats: TestNatsServer = await startNatsServer();
  const nc = await connectBus({ url: nats.url, name: "listener-test" }, log);
  await ensureStream(nc, streams.events);
  const dataDir = await mkdtemp(join(tmpdir(), "wharf-listener-"));
  const certs = await makeTestCertificates(join(dataDir, "certs"));

  const parts = await createStorageParts(nc, { kind: "filesystem", dataDir: join(dataDir, "storage") }, { partialTtlMs: 3_600_000 });
  // The user's root exists from the start, so tests can place files in it directly.
  await mkdir(join(dataDir, "storage/files", USER), { recursive: true });
  const storage: StorageService = await startStorageService("127.0.0.1:0", { ...parts, nc, log, metrics: createStorageMetrics(createMetricsRegistry("storage")), uploadIdleTimeoutMs: 1_000 });
  const argon2 = { memoryKiB: 8_192, passes: 1, parallelism: 1 };
  const users = await createUserStore(nc);
  await users.put({ name: USER, passwordHash: await hashPassword(PASSWORD, argon2), enabled: true, home: USER });
  // The brute-force defender is off unless a test turns it on: other tests fail logins on purpose.
  const auth: AuthService = await createAuthService({ nc, store: users, log, registry: createMetricsRegistry("auth"), argon2, ...(defender ? { defender } : {}), ...(grantKey ? { grantKey } : {}) });
  const bans: BanWatch | undefined = defender ? await watchBans(nc) : undefined;

  let authRequests = 0;
  const spy = nc.subscribe(subjects.authLogin, { callback: () => void authRequests++ });

  const settings: PortSettings = {
    alias: "test",
    host: "127.0.0.1",
    port: 0,
    passivePorts: { low: 40_000, high: 49_999 },
    passiveAddress: undefined,
    tlsMode: "explicit",
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
    ciphers: "",
    clientAuth: "password",
    caFile: certs.caCertFile,
    crlFile: undefined,
    certificateMapping: true,
    userDirectory: true,
    defaultRoot: "",
    passiveOverrides: [],
    certFile: certs.serverCertFile,
    keyFile: certs.serverKeyFile,
    secureClientsOnly: true,
    requireProtectedData: true,
    uploadEndPolicy: "lenient",
    requireTlsSessionReuse: true,
    activeMode: false,
    loginTimeoutMs: 10_000,
    idleTimeoutMs: 60_000,
    dataTimeoutMs: 5_000,
    failedLoginDelayMs: 50,
    maxLoginAttempts: 3,
    maxLineBytes: 4_096,
    ipAccess: { mode: "allow", allow: [], deny: [] },
    proxyProtocol: { enabled: false, trustedProxies: [] },
    maxSessions: 2_000,
    maxSessionsPerIp: 200,
    ...overrides,
  };
  const registry = createMetricsRegistry("control-listener");
  const storageClient = createStorageClient(storage.address);
  const sessionLimits = createSessionLimits(await openSessionCounts(nc), { holderId: "harness", log });
  const shared = {
    sessionLimits,
    auth: createAuthClient(nc, { timeoutMs: 5_000 }),
    storage: storageClient,
    commands: createCommandTable(),
    metrics: createListenerMetrics(registry),
    log,
    ...(bans ? { isBanned: bans.isBanned } : {}),
    ...(now ? { now } : {}),
  };
  const ftp = await startFtpServer(settings, { ...shared, settings, tls: loadPortTls(settings) });

  return {
    port: ftp.port,
    nc,
    natsUrl: nats.url,
    dataDir,
    registry,
    ftp,
    shared,
    settings,
    certs,
    users,
    argon2,
    authRequests: () => authRequests,
    stopStorage: () => storage.stop(0),
    eventsFor: async (path) =>
      (await streamMessages(nc, streams.events.name, subjects.fileStored)).map((message) => message.body).filter((body) => body.path === path),
    stop: async () => {
      ftp.stopAccepting();
      await ftp.closeSessions();
      await sessionLimits.stop();
      storageClient.close();
      spy.unsubscribe();
      bans?.stop();
      await auth.stop();
      await storage.stop(1_000);
      await nc.close();
      await nats.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A control connection to the stack's port, logged in as the test user over TLS with PROT P. */
export async function logIn(stack: Pick<ListenerStack, "port">): Promise<RawFtpControl> {
  const control = await RawFtpControl.connect(stack.port);
  await control.read();
  await control.login(USER, PASSWORD);
  return control;
}

/** Asks for a passive port (EPSV) and connects to it; TLS is up to the caller (dataTls). */
export async function openDataSocket(control: RawFtpControl): Promise<Socket> {
  const port = passivePort(await control.command("EPSV"));
  const raw = connect({ port, host: "127.0.0.1" });
  await once(raw, "connect");
  return raw;
}
