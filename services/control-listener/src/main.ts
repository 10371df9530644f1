import { connectBus } from "@wharf/bus";
import { loadConfig } from "@wharf/config";
import { createStorageClient } from "@wharf/contracts";
import { createReadiness, onShutdown } from "@wharf/lifecycle";
import { createLogger, createMetricsRegistry, startHealthServer, startTracing } from "@wharf/telemetry";
import { createAuthClient } from "./auth-client.js";
import { createCommandTable } from "./commands/index.js";
import { ListenerConfig } from "./config.js";
import { startFtpServer } from "./ftp-server.js";
import { createListenerMetrics } from "./metrics.js";
import { loadPortTls } from "./tls-contexts.js";

const config = loadConfig(ListenerConfig);
const log = createLogger({ service: "control-listener", level: config.logLevel });
const tracing = startTracing({ service: "wharf-control-listener", otlpEndpoint: config.otlpEndpoint });
const registry = createMetricsRegistry("control-listener");
const readiness = createReadiness();
const health = await startHealthServer({ port: config.metricsPort, registry, isReady: readiness.isReady });
const tls = loadPortTls(config.port);
const nc = await connectBus({ url: config.natsUrl, name: "wharf-control-listener" }, log);
const storage = createStorageClient(config.storageAddress);
const ftp = await startFtpServer(config.port, {
  settings: config.port,
  tls,
  auth: createAuthClient(nc, { timeoutMs: config.authTimeoutMs }),
  storage,
  commands: createCommandTable(),
  metrics: createListenerMetrics(registry),
  log: log.child({ component: "ftp", port: config.port.alias }),
});

readiness.set(true);
onShutdown({ log, graceMs: config.shutdownGraceMs, stopWhenStdinCloses: config.stopWithStdin }, [
  ["readiness", () => readiness.set(false)],
  ["ftp-accept", () => ftp.stopAccepting()],
  ["ftp-sessions", () => ftp.closeSessions()],
  ["storage", () => storage.close()],
  ["nats", () => nc.drain()],
  ["tracing", () => tracing.shutdown()],
  ["health", () => health.close()],
]);
log.info({ port: ftp.port, alias: config.port.alias, metricsPort: health.port }, "control-listener ready");
