import { randomUUID } from "node:crypto";
import { consumeEvents, ensureStream, type NatsConnection } from "@wharf/bus";
import { jetstreamManager } from "@nats-io/jetstream";
import { consumers, type StorageClient, streams } from "@wharf/contracts";
import type { Keyring } from "@wharf/secrets";
import type { Logger } from "@wharf/telemetry";
import type { Registry } from "prom-client";
import { watchOutboundSettings } from "./config-watch.js";
import { createDeliveries } from "./deliveries.js";
import { openSession } from "./ftp-push.js";
import { createFileStoredHandler } from "./handlers/file-stored.js";
import { createOutboundMetrics } from "./metrics.js";
import { startPulls } from "./pulls.js";
import type { SecretSource } from "./secrets.js";
import { createSessionPool } from "./session-pool.js";

export interface OutboundService {
  /** Stops pulling events (the delivery in progress finishes first) and watching the settings. */
  stop(): Promise<void>;
}

/** Starts outbound: its settings (endpoints, pipelines, pulls) from their buckets, its durable consumer of file.stored events, and its pulls. */
export async function startOutboundService({
  nc,
  log,
  registry,
  storage,
  random,
  ackWaitMs,
  concurrency = 8,
  sessionIdleMs,
  replicas = 1,
  instanceId = randomUUID(),
  keyring,
}: {
  nc: NatsConnection;
  log: Logger;
  registry: Registry;
  storage: StorageClient;
  random?: () => number;
  /** See WHARF_OUTBOUND_ACK_WAIT_MS. */
  ackWaitMs?: number;
  /** See WHARF_OUTBOUND_CONCURRENCY. */
  concurrency?: number;
  /** See WHARF_OUTBOUND_SESSION_IDLE_MS. */
  sessionIdleMs?: number;
  /** Copies of the streams and buckets outbound creates when they are missing (WHARF_NATS_REPLICAS). */
  replicas?: number;
  /** This instance's name in delivery claims and pull leases (WHARF_OUTBOUND_INSTANCE_ID). */
  instanceId?: string;
  /** Opens the endpoints' sealed secrets (WHARF_SECRETS_KEY_FILE); without it, a delivery to an endpoint with one fails, saying so. */
  keyring?: Keyring | undefined;
}): Promise<OutboundService> {
  await ensureStream(nc, streams.deadLetters, { replicas });
  const settings = await watchOutboundSettings(nc, log, { replicas });
  const jsm = await jetstreamManager(nc);
  const metrics = createOutboundMetrics(registry, {
    consumer: async () => {
      const info = await jsm.consumers.info(streams.events.name, consumers.outboundFileStored.name);
      return { pending: info.num_pending, inProgress: info.num_ack_pending };
    },
    deadLetters: async () => (await jsm.streams.info(streams.deadLetters.name)).state.messages,
  });
  const secrets: SecretSource = { keyring, env: process.env };
  const sessions = createSessionPool({
    log,
    counts: metrics.sessions,
    open: (endpoint, log) => openSession(endpoint, log, secrets),
    ...(sessionIdleMs !== undefined ? { idleMs: sessionIdleMs } : {}),
  });
  const consumer = await consumeEvents(nc, {
    consumer: { stream: streams.events.name, ...consumers.outboundFileStored },
    handler: createFileStoredHandler({
      nc,
      log: log.child({ component: "file-stored" }),
      metrics,
      settings,
      deliveries: await createDeliveries(nc, { replicas }),
      storage,
      sessions,
      instanceId,
      ...(random ? { random } : {}),
    }),
    log,
    ...(ackWaitMs ? { ackWaitMs } : {}),
    concurrency,
  });
  const pulls = await startPulls({ nc, log: log.child({ component: "pulls" }), settings, storage, metrics, replicas, instanceId, secrets });
  return {
    stop: async () => {
      await pulls.stop();
      await consumer.stop();
      sessions.close();
      settings.stop();
    },
  };
}
