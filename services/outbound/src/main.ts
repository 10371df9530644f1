import { connectBus, createBusMetrics, ensureStream } from "@wharf/bus";
import { exitOnConfigError, loadConfig, readGrpcTls } from "@wharf/config";
import { createStorageClient, streams } from "@wharf/contracts";
import { createReadiness, onShutdown } from "@wharf/lifecycle";
import { loadKeyring } from "@wharf/secrets";
import { createLogger, createMetricsRegistry, startHealthServer, startTracing } from "@wharf/telemetry";
import { OutboundConfig } from "./config.js";
import { startOutboundService } from "./service.js";

const config = loadConfig(OutboundConfig);
const keyring = await loadKeyring(config.secrets).catch(exitOnConfigError);
const log = createLogger({ service: "outbound", level: config.logLevel });
const tracing = startTracing({ service: "wharf-outbound", otlpEndpoint: config.otlpEndpoint });
const registry = createMetricsRegistry("outbound");
const readiness = createReadiness();
const health = await startHealthServer({ port: config.metricsPort, registry, isReady: readiness.isReady });
const busMetrics = createBusMetrics(registry);
const nc = await connectBus({ url: config.natsUrl, name: "wharf-outbound", identity: "outbound", credentials: config.natsCredentials }, log, busMetrics);
await ensureStream(nc, streams.events, { maxAgeMs: config.eventsRetentionMs, replicas: config.natsReplicas });
// Mutual TLS to storage when configured: this service's certificate (CN wharf-outbound) may act on every root.
const storage = createStorageClient(config.storageAddress, { tls: await readGrpcTls(config.storageTls).catch(exitOnConfigError) });
// Deliveries read from storage: started together (npm start), outbound would otherwise spend a try of each
// waiting event on a storage that is still coming up.
await storage.waitForReady(60_000).catch((error: unknown) => log.warn({ err: String(error) }, "storage is not reachable yet; deliveries will be tried again until it is"));
const outbound = await startOutboundService({ nc, log, registry, storage, ackWaitMs: config.ackWaitMs, concurrency: config.concurrency, sessionIdleMs: config.sessionIdleMs, replicas: config.natsReplicas, instanceId: config.instanceId, keyring });

readiness.set(true);
onShutdown({ log, graceMs: config.shutdownGraceMs, stopWhenStdinCloses: config.stopWithStdin }, [
  ["readiness", () => readiness.set(false)],
  ["consumer", () => outbound.stop()],
  ["storage", () => storage.close()],
  ["nats", () => nc.drain()],
  ["tracing", () => tracing.shutdown()],
  ["health", () => health.close()],
]);
// The keyring by its key ids only (the current one first), so an operator sees which keys each instance holds.
log.info({ metricsPort: health.port, secretsKeys: keyring?.ids ?? [] }, "outbound ready");
