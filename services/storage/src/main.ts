import { hostname } from "node:os";
import { connectBus, createBusMetrics, ensureStream } from "@wharf/bus";
import { ConfigError, exitOnConfigError, loadConfig, readGrpcTls, readNamedFiles } from "@wharf/config";
import { createGrantVerifier, grantVerifyingKey, streams } from "@wharf/contracts";
import { createReadiness, onShutdown } from "@wharf/lifecycle";
import { createLogger, createMetricsRegistry, startHealthServer, startTracing } from "@wharf/telemetry";
import { StorageConfig } from "./config.js";
import type { CommitStep } from "./file-store.js";
import { recoverCommits } from "./recovery.js";
import { createStorageParts } from "./storage-parts.js";
import { createStorageMetrics } from "./metrics.js";
import { createCallerGate } from "./caller-gate.js";
import { startStorageService } from "./service.js";

const config = loadConfig(StorageConfig);
const tls = await readGrpcTls(config.grpcTls).catch(exitOnConfigError);
const grantKey = config.grantPublicKeyFile
  ? await readNamedFiles({ key: { variable: "WHARF_STORAGE_GRANT_PUBLIC_KEY_FILE", path: config.grantPublicKeyFile } }).catch(exitOnConfigError)
  : undefined;
const log = createLogger({ service: "storage", level: config.logLevel });
const tracing = startTracing({ service: "wharf-storage", otlpEndpoint: config.otlpEndpoint });
const registry = createMetricsRegistry("storage");
const readiness = createReadiness();
const health = await startHealthServer({ port: config.metricsPort, registry, isReady: readiness.isReady });
const busMetrics = createBusMetrics(registry);
const nc = await connectBus({ url: config.natsUrl, name: "wharf-storage", identity: "storage", credentials: config.natsCredentials }, log, busMetrics);
await ensureStream(nc, streams.events, { maxAgeMs: config.eventsRetentionMs, replicas: config.natsReplicas });
// Crash tests name a step of the commit at which this process dies, as a power cut or an OOM kill would end it.
const failpoint = (step: CommitStep) => {
  if (step !== config.failpoint) return;
  log.warn({ step }, "failpoint reached: killing this process");
  process.kill(process.pid, "SIGKILL");
};
const backend =
  config.backend === "filesystem"
    ? ({ kind: "filesystem", dataDir: config.dataDir } as const)
    : ({ kind: "object-store", replicas: config.replicas, staleMs: config.staleMs, instanceId: config.instanceId ?? `${hostname()}-${config.grpcAddress}` } as const);
const parts = await createStorageParts(nc, backend, { failpoint, partialTtlMs: config.partialTtlMs, usageRecountMs: config.usageRecountMs, replicas: config.natsReplicas });
const { partials } = parts.store;
const metrics = createStorageMetrics(registry);
const recovery = await recoverCommits({ ...parts, nc, log, metrics });
const sweepPartials = () =>
  partials.sweep().then(
    (removed) => removed > 0 && log.info({ removed }, "expired partial uploads removed"),
    (error: unknown) => log.warn({ err: String(error) }, "partial uploads could not be swept"),
  );
await sweepPartials();
const sweeper = setInterval(sweepPartials, 3_600_000);
sweeper.unref();
// Who may call (docs/security.md): without TLS anyone who reaches the port may read and write every root.
if (!tls) log.warn("storage gRPC without mutual TLS: anyone who reaches its port may read and write every root (set WHARF_GRPC_TLS_*; wharf certs init)");
else if (!grantKey) log.warn("storage gRPC without session grants: a listener's certificate acts on every root (set WHARF_STORAGE_GRANT_PUBLIC_KEY_FILE)");
let verifyGrant: ReturnType<typeof createGrantVerifier> | undefined;
try {
  verifyGrant = grantKey ? createGrantVerifier(grantVerifyingKey(grantKey.key.toString("utf8"))) : undefined;
} catch (error) {
  exitOnConfigError(new ConfigError([`WHARF_STORAGE_GRANT_PUBLIC_KEY_FILE: not a PEM public key (${(error as Error).message})`]));
}
const gate = createCallerGate({ mutualTls: tls !== undefined, verifyGrant });
const service = await startStorageService(config.grpcAddress, { ...parts, nc, log, metrics, uploadIdleTimeoutMs: config.uploadIdleTimeoutMs, failpoint, tls, gate });

readiness.set(true);
onShutdown({ log, graceMs: config.shutdownGraceMs, stopWhenStdinCloses: config.stopWithStdin }, [
  ["readiness", () => readiness.set(false)],
  ["recovery", () => recovery.stop()],
  ["grpc", () => service.stop(Math.max(0, config.shutdownGraceMs - 2_000))],
  ["nats", () => nc.drain()],
  ["tracing", () => tracing.shutdown()],
  ["health", () => health.close()],
]);
log.info({ grpc: service.address, mutualTls: tls !== undefined, grants: verifyGrant !== undefined, backend: config.backend, ...(config.backend === "filesystem" ? { dataDir: config.dataDir } : {}), metricsPort: health.port }, "storage ready");
