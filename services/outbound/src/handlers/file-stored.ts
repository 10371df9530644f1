import { randomUUID } from "node:crypto";
import { posix } from "node:path";
import type { JsMsg } from "@nats-io/jetstream";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { type NatsConnection, publishEvent, RetryLater } from "@wharf/bus";
import {
  type DeadLetter,
  eventTypes,
  FileStoredEvent,
  type PipelineConfig,
  pipelineMatches,
  type StorageClient,
  subjects,
  type TransferEvent,
} from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { OutboundSettings } from "../config-watch.js";
import type { Deliveries, DeliveryRecord } from "../deliveries.js";
import { PushError, type PushRequest, type PushResult, pushFile, SourceChangedError } from "../ftp-push.js";
import { createKeyedLimits } from "../keyed-limits.js";
import type { OutboundMetrics } from "../metrics.js";
import type { SessionPool } from "../session-pool.js";
import { openStoredFile } from "../stored-file.js";

export interface FileStoredDeps {
  nc: NatsConnection;
  log: Logger;
  metrics: OutboundMetrics;
  settings: OutboundSettings;
  deliveries: Deliveries;
  storage: StorageClient;
  /** Partners' sessions, kept open between deliveries. */
  sessions: SessionPool;
  /** Jitter source (tests pin it). */
  random?: () => number;
  /** This instance's name in delivery claims. */
  instanceId?: string;
}

/**
 * Handles one file.stored event (DESIGN.md §5): every pipeline whose source
 * holds the file delivers it to its endpoint, once. A pipeline that already
 * delivered this version (same path, SHA-256 and upload id) skips it. A failed
 * delivery is tried again with exponential backoff and jitter (the event is
 * redelivered after the shortest wait any failed pipeline asks for); after
 * its last try, or at once when trying again cannot help (a wrong certificate
 * pin, a refused login), it goes to the dead-letter stream with the reason.
 */
export function createFileStoredHandler({ nc, log, metrics, settings, deliveries, storage, sessions, random = Math.random, instanceId = randomUUID() }: FileStoredDeps) {
  const limits = createKeyedLimits();
  return async (body: unknown, msg: JsMsg): Promise<void> => {
    const parsed = FileStoredEvent.safeParse(body);
    if (!parsed.success) {
      metrics.events.inc({ outcome: "malformed" });
      log.error({ issues: parsed.error.issues.map((issue) => issue.message) }, "malformed file.stored event dropped");
      return;
    }
    const event = parsed.data;
    const matching = settings.pipelines().filter((pipeline) => pipelineMatches(pipeline, event));
    metrics.events.inc({ outcome: matching.length > 0 ? "matched" : "no_pipeline" });
    const attempt = msg.info.deliveryCount;
    let retryInMs: number | undefined;
    const reasons: string[] = [];
    for (const pipeline of matching) {
      // Versions of one file go out in the order their events came (events are handled several at once).
      const releaseFile = await limits.acquire(`file\0${pipeline.name}\0${event.root}\0${event.path}`, 1);
      try {
        const retry = await deliver(pipeline, event, attempt, msg.seq);
        if (retry) {
          retryInMs = Math.min(retryInMs ?? retry.delayMs, retry.delayMs);
          reasons.push(`${pipeline.name}: ${retry.reason}`);
        }
      } finally {
        releaseFile();
      }
    }
    if (retryInMs !== undefined) throw new RetryLater(retryInMs, reasons.join("; "));
  };

  /** One pipeline's delivery of one stored version; resolves with when and why to try again, if it should be. */
  /** `seq` is the event's place in the stream: a replayed event is another message, so its letters and events get ids of their own. */
  async function deliver(pipeline: PipelineConfig, event: FileStoredEvent, attempt: number, seq: number): Promise<{ delayMs: number; reason: string } | undefined> {
    const done = await deliveries.find(pipeline.name, event);
    if (done) {
      await duplicate(pipeline, event, seq, done);
      return undefined;
    }
    // ISO times of one format compare as strings.
    const newest = await deliveries.newestDelivered(pipeline.name, event);
    if (newest !== undefined && newest > event.storedAt) {
      await deliveries.record(pipeline.name, event, { status: "superseded", remotePath: "", deliveredAt: new Date().toISOString(), attempts: attempt });
      await announce("superseded", pipeline, event, attempt, seq, { reason: `a newer version of the file (stored ${newest}) was delivered first` });
      metrics.deliveries.inc({ pipeline: pipeline.name, result: "superseded" });
      log.info({ pipeline: pipeline.name, uploadId: event.uploadId, path: event.path, storedAt: event.storedAt, newest }, "not delivered: a newer version of the file was delivered first");
      return undefined;
    }
    // One instance at a time delivers a version; the claim is renewed while the push runs.
    const claim = await deliveries.claim(pipeline.name, event, instanceId, CLAIM_LEASE_MS);
    if (!claim.granted) {
      log.info({ pipeline: pipeline.name, uploadId: event.uploadId, path: event.path }, "another outbound instance is delivering this file; looking again later");
      return { delayMs: CLAIM_RETRY_MS, reason: "another outbound instance is delivering this file" };
    }
    const renewal = setInterval(() => void deliveries.claim(pipeline.name, event, instanceId, CLAIM_LEASE_MS).catch(() => undefined), CLAIM_LEASE_MS / 3);
    try {
      // It may have been delivered by the instance that held the claim before.
      const doneMeanwhile = await deliveries.find(pipeline.name, event);
      if (doneMeanwhile) {
        await duplicate(pipeline, event, seq, doneMeanwhile);
        return undefined;
      }
      return await deliverClaimed(pipeline, event, attempt, seq, claim.interrupted);
    } finally {
      clearInterval(renewal);
      await deliveries.release(pipeline.name, event, instanceId).catch(() => undefined);
    }
  }

  async function deliverClaimed(pipeline: PipelineConfig, event: FileStoredEvent, attempt: number, seq: number, interrupted: boolean): Promise<{ delayMs: number; reason: string } | undefined> {
    const stopTimer = metrics.deliveryDuration.startTimer({ pipeline: pipeline.name });
    const started = performance.now();
    const history = (kind: TransferKind, extra: Partial<TransferEvent> = {}) =>
      announce(kind, pipeline, event, attempt, seq, { ...(kind === "started" ? {} : { durationMs: Math.round(performance.now() - started) }), ...extra });
    await history("started");
    try {
      const endpoint = settings.endpoint(pipeline.target);
      if (!endpoint) throw new PushError(`the pipeline's endpoint ${pipeline.target} does not exist (yet)`, true);
      const request = {
        endpoint,
        name: posix.basename(event.path),
        size: event.size,
        sha256: event.sha256,
        uploadId: event.uploadId,
        source: () => openStoredFile(storage, event, { stallMs: endpoint.timeoutMs }),
        // A try that died after the file took its name at the partner and before it was recorded: look there first.
        lookFirst: interrupted,
        beforeFinalName: () => deliveries.markFinalName(pipeline.name, event, instanceId, CLAIM_LEASE_MS),
      };
      const releaseConnection = await limits.acquire(`endpoint\0${endpoint.name}`, endpoint.maxConnections);
      const { result, reused } = await traced(pipeline, endpoint.name, attempt, () => pushOverPool(sessions, request)).finally(releaseConnection);
      // The file is at the partner: from here a failure is the bookkeeping's, never the push's. It is tried
      // again here (a NATS leader election takes seconds) rather than failing a delivery that worked.
      try {
        await persistently(() =>
          deliveries.record(pipeline.name, event, { status: "delivered", remotePath: result.remotePath, deliveredAt: new Date().toISOString(), attempts: attempt, seq, reply: result.reply, verified: result.verified }),
        );
      } catch (error) {
        const reason = `delivered to ${result.remotePath}, but the delivery could not be recorded: ${error instanceof Error ? error.message : String(error)}`;
        log.error({ pipeline: pipeline.name, uploadId: event.uploadId, path: event.path, reason }, "delivery not recorded; the event comes back, and the file may be sent again");
        return { delayMs: RECORD_RETRY_MS, reason };
      }
      await persistently(() => deliveries.markDelivered(pipeline.name, event)).catch((error: unknown) =>
        log.warn({ pipeline: pipeline.name, uploadId: event.uploadId, err: String(error) }, "newest delivered version not recorded; an older version's late delivery is still stopped by its checksum"),
      );
      stopTimer();
      await history("completed", {
        remotePath: result.remotePath,
        reply: result.reply,
        verified: result.verified,
        sessionReused: reused,
        ...(result.tlsVersion ? { tls: result.tlsVersion } : {}),
      });
      metrics.deliveries.inc({ pipeline: pipeline.name, result: "delivered" });
      log.info(
        {
          pipeline: pipeline.name,
          endpoint: endpoint.name,
          uploadId: event.uploadId,
          path: event.path,
          remotePath: result.remotePath,
          size: event.size,
          attempt,
          tls: result.tlsVersion,
          reply: result.reply,
        },
        "file delivered",
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof SourceChangedError) {
        await deliveries.record(pipeline.name, event, { status: "superseded", remotePath: "", deliveredAt: new Date().toISOString(), attempts: attempt });
        await history("superseded", { reason });
        metrics.deliveries.inc({ pipeline: pipeline.name, result: "superseded" });
        log.info({ pipeline: pipeline.name, uploadId: event.uploadId, path: event.path, reason }, "not delivered: the file was replaced by a newer version");
        return undefined;
      }
      const retryable = !(error instanceof PushError) || error.retryable;
      if (!retryable || attempt >= pipeline.retry.maxAttempts) {
        await deadLetter(pipeline, event, attempt, seq, reason);
        await history("dead_lettered", { reason });
        return undefined;
      }
      await history("failed", { reason });
      const delayMs = backoffMs(pipeline, attempt, random);
      metrics.deliveries.inc({ pipeline: pipeline.name, result: "retry" });
      log.warn(
        { pipeline: pipeline.name, uploadId: event.uploadId, path: event.path, attempt, retryInMs: delayMs, reason },
        "delivery failed; trying again later",
      );
      return { delayMs, reason };
    }
    return undefined;
  }

  /**
   * A version this pipeline already delivered: nothing is sent. When it is this very message that made the
   * delivery (an instance that stopped after the record and before its ack), its completed event is said
   * again, with the first one's message id: the stream drops it if the first got there, and the file's
   * history is whole if it did not.
   */
  async function duplicate(pipeline: PipelineConfig, event: FileStoredEvent, seq: number, done: DeliveryRecord): Promise<void> {
    metrics.deliveries.inc({ pipeline: pipeline.name, result: "duplicate" });
    if (done.status !== "delivered" || done.seq !== seq) return;
    await announce("completed", pipeline, event, done.attempts, seq, {
      remotePath: done.remotePath,
      at: done.deliveredAt,
      ...(done.reply ? { reply: done.reply } : {}),
      ...(done.verified ? { verified: done.verified } : {}),
    });
  }

  /** A transfer event for the file's history; one that cannot be published is logged, never fails the delivery. */
  async function announce(kind: TransferKind, pipeline: PipelineConfig, event: FileStoredEvent, attempt: number, seq: number, extra: Partial<TransferEvent>): Promise<void> {
    const body: TransferEvent = {
      type: TRANSFER_TYPES[kind],
      pipeline: pipeline.name,
      endpoint: pipeline.target,
      uploadId: event.uploadId,
      root: event.root,
      path: event.path,
      size: event.size,
      sha256: event.sha256,
      attempt,
      at: new Date().toISOString(),
      ...extra,
    };
    await publishEvent(nc, TRANSFER_SUBJECTS[kind], body, { msgId: `${pipeline.name}:${event.uploadId}:${seq}:${attempt}:${kind}` }).catch((error: unknown) =>
      log.warn({ err: String(error), pipeline: pipeline.name, uploadId: event.uploadId, kind }, "transfer event not published"),
    );
  }

  async function deadLetter(pipeline: PipelineConfig, event: FileStoredEvent, attempts: number, seq: number, reason: string): Promise<void> {
    const letter: DeadLetter = {
      type: "wharf.dlq.v1.delivery",
      pipeline: pipeline.name,
      endpoint: pipeline.target,
      attempts,
      reason,
      failedAt: new Date().toISOString(),
      event,
    };
    // Per message: a replay that fails again within the stream's duplicate window must not be dropped as a duplicate.
    await publishEvent(nc, subjects.deadLetter, letter, { msgId: `${pipeline.name}:${event.uploadId}:${seq}` });
    // Recorded so that a redelivery of the event does not try again; a replay from the dead-letter stream does.
    await deliveries.record(pipeline.name, event, { status: "dead_lettered", remotePath: "", deliveredAt: letter.failedAt, attempts });
    metrics.deliveries.inc({ pipeline: pipeline.name, result: "dead_lettered" });
    log.error(
      { pipeline: pipeline.name, endpoint: pipeline.target, uploadId: event.uploadId, path: event.path, attempts, reason },
      "delivery given up: sent to the dead-letter stream",
    );
  }
}

/** The push as a span of the file's trace (the event's, which began at the partner's STOR), with where it went and the partner's answer. */
function traced(pipeline: PipelineConfig, endpoint: string, attempt: number, push: () => Promise<{ result: PushResult; reused: boolean }>) {
  return trace.getTracer("wharf-outbound").startActiveSpan(
    `ftp push ${pipeline.name}`,
    { kind: SpanKind.CLIENT, attributes: { "wharf.pipeline": pipeline.name, "wharf.endpoint": endpoint, "wharf.attempt": attempt } },
    async (span) => {
      try {
        const pushed = await push();
        span.setAttributes({ "wharf.remote_path": pushed.result.remotePath, "ftp.reply": pushed.result.reply, "wharf.session_reused": pushed.reused });
        return pushed;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** One push over a pooled session: given back for the next delivery if the push went well, closed if not. */
async function pushOverPool(sessions: SessionPool, request: PushRequest): Promise<{ result: PushResult; reused: boolean }> {
  const session = await sessions.acquire(request.endpoint);
  let reusable = false;
  try {
    const result = await pushFile(request, session);
    reusable = true;
    return { result, reused: session.reused };
  } finally {
    sessions.release(request.endpoint, session, reusable);
  }
}

/** After a delivery whose record could not be written, the event comes back this much later. */
const RECORD_RETRY_MS = 5_000;
/** How long a delivery's claim lasts without renewal: an instance that died holds a file back this long at most. */
const CLAIM_LEASE_MS = 30_000;
/** When a file another instance is delivering is looked at again. */
const CLAIM_RETRY_MS = 5_000;

/** Runs a bookkeeping write, trying again for a few seconds (0.25, 0.5, 1, 2 s apart) before giving up. */
async function persistently<T>(write: () => Promise<T>): Promise<T> {
  for (let wait = 250; ; wait *= 2) {
    try {
      return await write();
    } catch (error) {
      if (wait > 2_000) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** The wait before try `attempt + 1`: initialDelayMs doubled per try, capped, then "equal jitter" (half fixed, half random). */
export function backoffMs(pipeline: PipelineConfig, attempt: number, random: () => number): number {
  const capped = Math.min(pipeline.retry.maxDelayMs, pipeline.retry.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(capped / 2 + (capped / 2) * random());
}

type TransferKind = "started" | "completed" | "failed" | "dead_lettered" | "superseded";
const TRANSFER_SUBJECTS = {
  started: subjects.transferStarted,
  completed: subjects.transferCompleted,
  failed: subjects.transferFailed,
  dead_lettered: subjects.transferDeadLettered,
  superseded: subjects.transferSuperseded,
} as const;
const TRANSFER_TYPES = {
  started: eventTypes.transferStarted,
  completed: eventTypes.transferCompleted,
  failed: eventTypes.transferFailed,
  dead_lettered: eventTypes.transferDeadLettered,
  superseded: eventTypes.transferSuperseded,
} as const;
