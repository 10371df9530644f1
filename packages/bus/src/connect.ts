import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "@wharf/telemetry";
import type { BusMetrics } from "./metrics.js";

export type { NatsConnection } from "@nats-io/nats-core";

export interface BusOptions {
  /** One or more nats:// URLs, comma separated. */
  url: string;
  /** Shown in the server's connection list (`nats server report connections`). */
  name: string;
}

/**
 * Connects to NATS and keeps reconnecting for as long as the process lives:
 * a restarting NATS node must not take a Wharf service down with it.
 * Connection state changes are logged.
 */
export async function connectBus({ url, name }: BusOptions, log: Logger, metrics?: Pick<BusMetrics, "connected" | "reconnects">): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(",").map((server) => server.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // nats.js otherwise builds two Error objects (with stack traces) for every request and JetStream
    // publish, in case it times out: about 5 % of storage's CPU per small commit. A timeout still says
    // which subject it was; it only loses the caller's stack.
    noAsyncTraces: true,
  });
  const busLog = log.child({ component: "bus" });
  busLog.info({ server: nc.getServer() }, "connected to NATS");
  metrics?.connected.set(1);
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "ping") continue;
      if (status.type === "disconnect") metrics?.connected.set(0);
      if (status.type === "reconnect") {
        metrics?.connected.set(1);
        metrics?.reconnects.inc();
      }
      busLog.info({ status: status.type }, "NATS connection status");
    }
    metrics?.connected.set(0);
  })();
  return nc;
}
