import { randomBytes } from "node:crypto";
import { connectBus, createBusMetrics } from "@wharf/bus";
import { exitOnConfigError, loadConfig, readGrpcTls } from "@wharf/config";
import { createStorageClient } from "@wharf/contracts";
import { createReadiness, onShutdown } from "@wharf/lifecycle";
import { createLogger, createMetricsRegistry, startHealthServer, startTracing } from "@wharf/telemetry";
import { createAuthClient } from "./auth-client.js";
import { createCommandTable } from "./commands/index.js";
import { ListenerConfig } from "./config.js";
import { watchBans } from "./ban-watch.js";
import { startFtpServer } from "./ftp-server.js";
import { createListenerMetrics } from "./metrics.js";
import { createPortManager } from "./port-manager.js";
import { openPortStatus, watchPorts } from "./port-watcher.js";
import { createSessionLimits, openSessionCounts } from "./session-limits.js";
import { loadPortTls } from "./tls-contexts.js";

const config = loadConfig(ListenerConfig);
const log = createLogger({ service: "control-listener", level: config.logLevel });
const tracing = startTracing({ service: "wharf-control-listener", otlpEndpoint: config.otlpEndpoint });
const registry = createMetricsRegistry("control-listener");
const readiness = createReadiness();
const health = await startHealthServer({ port: config.metricsPort, registry, isReady: readiness.isReady });
const tls = loadPortTls(config.port);
const busMetrics = createBusMetrics(registry);
const nc = await connectBus({ url: config.natsUrl, name: "wharf-control-listener", identity: "listener", credentials: config.natsCredentials }, log, busMetrics);
// Mutual TLS to storage when configured; each session's calls then carry auth's grant for its partner (session.ts).
const storage = createStorageClient(config.storageAddress, { tls: await readGrpcTls(config.storageTls).catch(exitOnConfigError) });
const bans = await watchBans(nc, { replicas: config.natsReplicas });
const listenerId = randomBytes(6).toString("hex");
const metrics = createListenerMetrics(registry);
const sessionLimits = createSessionLimits(await openSessionCounts(nc, { replicas: config.natsReplicas }), {
  holderId: listenerId,
  log: log.child({ component: "session-limits" }),
  onFallback: () => metrics.sessionLimitFallbacks.inc(),
});
const shared = {
  sessionLimits,
  isBanned: bans.isBanned,
  auth: createAuthClient(nc, { timeoutMs: config.authTimeoutMs, metrics: busMetrics }),
  storage,
  commands: createCommandTable(),
  metrics,
  log,
};
const ftp = await startFtpServer(config.port, { ...shared, settings: config.port, tls, log: log.child({ component: "ftp", port: config.port.alias }) });
// Ports from the wharf_ports bucket (wharf apply -f), applied live.
const ports = createPortManager(shared, await openPortStatus(nc, listenerId, { replicas: config.natsReplicas }));
const watcher = await watchPorts(nc, { manager: ports, reservedAlias: config.port.alias, log, replicas: config.natsReplicas });

const drainMs = Math.max(0, config.shutdownGraceMs - 2_000);
readiness.set(true);
onShutdown({ log, graceMs: config.shutdownGraceMs, stopWhenStdinCloses: config.stopWithStdin }, [
  ["readiness", () => readiness.set(false)],
  ["ftp-accept", () => ftp.stopAccepting()],
  ["port-watch", () => watcher.stop()],
  ["ban-watch", () => bans.stop()],
  // Running transfers get the grace period less 2 s to finish (the steps after need a moment), then are cut.
  ["ftp-sessions", () => Promise.all([ftp.drainSessions(drainMs), ports.closeAll(drainMs)])],
  ["session-limits", () => sessionLimits.stop()],
  ["storage", () => storage.close()],
  ["nats", () => nc.drain()],
  ["tracing", () => tracing.shutdown()],
  ["health", () => health.close()],
]);
log.info({ port: ftp.port, alias: config.port.alias, listenerId, metricsPort: health.port }, "control-listener ready");
