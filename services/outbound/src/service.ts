import { consumeEvents, type NatsConnection, type RunningConsumer } from "@wharf/bus";
import { consumers, streams } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import { Counter, type Registry } from "prom-client";
import { createFileStoredHandler } from "./handlers/file-stored.js";

/** Starts outbound's durable consumer of file.stored events. */
export async function startOutboundService({ nc, log, registry }: { nc: NatsConnection; log: Logger; registry: Registry }): Promise<RunningConsumer> {
  const events = new Counter({
    name: "wharf_outbound_events_total",
    help: "file.stored events handled by outbound, by outcome (received, malformed).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  return consumeEvents(nc, {
    consumer: { stream: streams.events.name, ...consumers.outboundFileStored },
    handler: createFileStoredHandler({ log: log.child({ component: "file-stored" }), events }),
    log,
  });
}
