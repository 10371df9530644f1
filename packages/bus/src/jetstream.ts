import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  AckPolicy,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
  type PubAck,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/nats-core";
import { type KV, Kvm } from "@nats-io/kv";
import { bucketSettings } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import { headersWithTrace, traceContextOf } from "./trace-headers.js";

export interface StreamSpec {
  name: string;
  subjects: readonly string[];
}

/**
 * Creates the stream if it is missing (file storage, limits retention, a
 * two-minute duplicate window for Nats-Msg-Id). An existing stream is kept as
 * it is, except its age limit when `maxAgeMs` is given (0: no limit): that is
 * set to the value given, so the setting can change on a running deployment.
 */
export async function ensureStream(nc: NatsConnection, spec: StreamSpec, { replicas = 1, maxAgeMs }: { replicas?: number; maxAgeMs?: number } = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(spec.name).catch(() => undefined);
  if (!info) {
    await jsm.streams.add({
      name: spec.name,
      subjects: [...spec.subjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas: replicas,
      duplicate_window: 120_000_000_000,
      ...(maxAgeMs ? { max_age: nanos(maxAgeMs) } : {}),
    });
    return;
  }
  if (maxAgeMs !== undefined && info.config.max_age !== nanos(maxAgeMs)) {
    // With NATS identities only the admin may change a stream (docs/security.md): a service that may not
    // keeps the stream as it is, rather than fail to start.
    await jsm.streams.update(spec.name, { ...info.config, max_age: nanos(maxAgeMs) }).catch((error: unknown) => {
      if (!(error instanceof Error && /permission/i.test(error.message))) throw error;
    });
  }
}

/**
 * Publishes a JSON event and resolves only once JetStream acknowledged it.
 * `msgId` becomes Nats-Msg-Id, so a repeated publish (a retry after a crash)
 * is recognised as a duplicate by the stream and stored once.
 */
export async function publishEvent(nc: NatsConnection, subject: string, body: unknown, { msgId, timeoutMs = 5_000 }: { msgId: string; timeoutMs?: number }): Promise<PubAck> {
  const tracer = trace.getTracer("wharf-bus");
  return tracer.startActiveSpan(`send ${subject}`, { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "nats", "messaging.message.id": msgId } }, async (span) => {
    try {
      const js = jetstream(nc, { timeout: timeoutMs });
      return await js.publish(subject, JSON.stringify(body), { msgID: msgId, headers: headersWithTrace() });
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

export interface ConsumerSpec {
  stream: string;
  name: string;
  filterSubject: string;
}

export type EventHandler = (body: unknown, msg: JsMsg) => Promise<void>;

/** Events a durable consumer may have delivered and not yet acknowledged (including those waiting to be retried). */
const MAX_ACK_PENDING = 100_000;

/** A pull for the next event waits this long at most, so a stopping consumer is not held up longer. */
const PULL_EXPIRES_MS = 1_000;

/** Thrown by an event handler to have the event redelivered after `delayMs` (a backoff of its own choosing). */
export class RetryLater extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "RetryLater";
  }
}

export interface RunningConsumer {
  /** Stops pulling; the message being handled finishes first. */
  stop(): Promise<void>;
}

/**
 * Runs a durable pull consumer with explicit acks: a message is acked after
 * its handler resolves and nak'ed (redelivered later) when it throws, so an
 * event is never dropped by a crash between delivery and handling.
 */
export async function consumeEvents(
  nc: NatsConnection,
  {
    consumer,
    handler,
    log,
    nakDelayMs = 1_000,
    ackWaitMs = 30_000,
    concurrency = 1,
  }: {
    consumer: ConsumerSpec;
    handler: EventHandler;
    log: Logger;
    nakDelayMs?: number;
    /** How long JetStream waits for an ack (or a sign of progress) before it delivers the event again: after a crash, the time until another instance takes it over. */
    ackWaitMs?: number;
    /** Events handled at once. */
    concurrency?: number;
  },
): Promise<RunningConsumer> {
  const jsm = await jetstreamManager(nc);
  // A message waiting for its nak delay (a retry with backoff) still counts as pending an ack: with the
  // server's default of 1,000, a partner down for long would stop every delivery. Bounded, not unlimited.
  const limits = { ack_wait: nanos(ackWaitMs), max_ack_pending: MAX_ACK_PENDING };
  const existing = await jsm.consumers.info(consumer.stream, consumer.name).catch(() => undefined);
  if (!existing) {
    await jsm.consumers.add(consumer.stream, {
      durable_name: consumer.name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: consumer.filterSubject,
      ...limits,
    });
  } else if (existing.config.ack_wait !== limits.ack_wait || existing.config.max_ack_pending !== limits.max_ack_pending) {
    // The durable consumer outlives the settings it was made with: a changed ack wait must reach the
    // server, or the progress heartbeat below would be timed for a wait the server does not use.
    await jsm.consumers.update(consumer.stream, consumer.name, limits);
  }
  const js = jetstream(nc);
  const source = await js.consumers.get(consumer.stream, consumer.name);
  const tracer = trace.getTracer("wharf-bus");
  const handle = (msg: JsMsg) =>
    tracer.startActiveSpan(`process ${msg.subject}`, { kind: SpanKind.CONSUMER, attributes: { "messaging.system": "nats" } }, traceContextOf(msg.headers), async (span) => {
      // A handler may take longer than the consumer's ack wait (a large push): tell JetStream it is still
      // being worked on, or it would deliver the event again to someone else meanwhile.
      const progress = setInterval(() => msg.working(), Math.max(100, ackWaitMs / 3));
      let body: unknown;
      try {
        body = msg.json<unknown>();
      } catch {
        // Not JSON: no retry can change that. Terminated, not redelivered every second for ever.
        log.error({ subject: msg.subject, seq: msg.seq }, "event is not JSON; dropped");
        // No reason text: nats-server 2.9 takes only a bare +TERM.
        msg.term();
        clearInterval(progress);
        span.end();
        return;
      }
      try {
        await handler(body, msg);
        msg.ack();
      } catch (error) {
        const delayMs = error instanceof RetryLater ? error.delayMs : nakDelayMs;
        // A RetryLater is the handler's own decision, which it has logged; anything else is a failure.
        if (error instanceof RetryLater) log.debug({ reason: error.message, subject: msg.subject, seq: msg.seq, retryInMs: delayMs }, "event to be redelivered");
        else log.error({ err: error, subject: msg.subject, seq: msg.seq, retryInMs: delayMs }, "event handler failed; will be redelivered");
        span.setStatus({ code: SpanStatusCode.ERROR });
        msg.nak(delayMs);
      } finally {
        clearInterval(progress);
        span.end();
      }
    });
  let stopped = false;
  // `concurrency` loops, each pulling one message only when it is free: nothing waits in a client-side
  // buffer while its ack wait runs out (which would have JetStream hand it to someone else as well).
  const slots = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      let failed = false;
      const msg = await source.next({ expires: PULL_EXPIRES_MS }).catch((error: unknown) => {
        if (!stopped) log.warn({ err: String(error), consumer: consumer.name }, "pulling an event failed; trying again");
        failed = true;
        return null;
      });
      if (msg) await handle(msg);
      // A pull that fails at once (NATS unreachable) is not retried in a tight loop.
      else if (failed && !stopped) await new Promise((resolve) => setTimeout(resolve, PULL_EXPIRES_MS));
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(slots);
    },
  };
}

/** JetStream's answer to a write whose expected revision is not the current one (API error 10071), e.g. a KV update or create that lost a race. */
export function isRevisionConflict(error: unknown): boolean {
  return /wrong last sequence/i.test(String((error as Error)?.message ?? error));
}

/**
 * Opens a KV bucket, creating it with its settings from the catalog (`bucketSettings`) and `replicas` copies
 * when it is missing; an existing bucket is used as it is.
 */
export async function openBucket(nc: NatsConnection, name: keyof typeof bucketSettings, { replicas = 1 }: { replicas?: number } = {}): Promise<KV> {
  const { history, ttl, allowDirect } = bucketSettings[name];
  return new Kvm(nc).create(name, { history, replicas, ...(ttl ? { ttl } : {}), ...(allowDirect === false ? { allow_direct: false } : {}) });
}
