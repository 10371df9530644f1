import { connectBus, createBusMetrics, ensureStream } from "@wharf/bus";
import { grantSigningKey, streams } from "@wharf/contracts";
import { ConfigError, exitOnConfigError, loadConfig, readNamedFiles } from "@wharf/config";
import { createReadiness, onShutdown } from "@wharf/lifecycle";
import { createLogger, createMetricsRegistry, startHealthServer, startTracing } from "@wharf/telemetry";
import { AuthConfig } from "./config.js";
import { createAuthService } from "./service.js";
import { createUserStore } from "./user-store.js";

const config = loadConfig(AuthConfig);
const grantKeyFile = config.grantKeyFile ? await readNamedFiles({ key: { variable: "WHARF_AUTH_GRANT_KEY_FILE", path: config.grantKeyFile } }).catch(exitOnConfigError) : undefined;
let grantKey: ReturnType<typeof grantSigningKey> | undefined;
try {
  grantKey = grantKeyFile ? grantSigningKey(grantKeyFile.key.toString("utf8")) : undefined;
} catch (error) {
  exitOnConfigError(new ConfigError([`WHARF_AUTH_GRANT_KEY_FILE: not a PEM private key (${(error as Error).message})`]));
}
const log = createLogger({ service: "auth", level: config.logLevel });
const tracing = startTracing({ service: "wharf-auth", otlpEndpoint: config.otlpEndpoint });
const registry = createMetricsRegistry("auth");
const readiness = createReadiness();
const health = await startHealthServer({ port: config.metricsPort, registry, isReady: readiness.isReady });
const busMetrics = createBusMetrics(registry);
const nc = await connectBus({ url: config.natsUrl, name: "wharf-auth", identity: "auth", credentials: config.natsCredentials }, log, busMetrics);
// Login events go to the event stream; auth may start before storage, which also makes sure of it.
await ensureStream(nc, streams.events, { maxAgeMs: config.eventsRetentionMs, replicas: config.natsReplicas });
const store = await createUserStore(nc, { replicas: config.natsReplicas });
const service = await createAuthService({ nc, store, log, registry, argon2: config.argon2, passwordCache: config.passwordCache, defender: config.defender, replicas: config.natsReplicas, grantKey });

readiness.set(true);
onShutdown({ log, graceMs: config.shutdownGraceMs, stopWhenStdinCloses: config.stopWithStdin }, [
  ["readiness", () => readiness.set(false)],
  ["endpoints", () => service.stop()],
  ["nats", () => nc.drain()],
  ["tracing", () => tracing.shutdown()],
  ["health", () => health.close()],
]);
log.info({ subjects: service.subjects(), metricsPort: health.port }, "auth ready");
