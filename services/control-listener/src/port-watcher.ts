import { type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, describeIssues, PortConfig } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { PortManager, PortStatus } from "./port-manager.js";
import { portSettingsOf } from "./port-settings.js";

export interface PortWatcher {
  stop(): Promise<void>;
}

/** Records a port's state in `wharf_port_status` under <alias>.<listener-id>, for `wharf ports status`. */
export async function openPortStatus(nc: NatsConnection, listenerId: string, { replicas = 1 } = {}): Promise<(status: PortStatus) => Promise<void>> {
  const bucket = await openBucket(nc, buckets.portStatus, { replicas });
  return async (status) => {
    await bucket.put(`${status.alias}.${listenerId}`, JSON.stringify({ ...status, listener: listenerId, at: new Date().toISOString() }));
  };
}

/**
 * Applies the ports of the `wharf_ports` bucket as they change: a KV watch
 * delivers every key first, then each update. The environment-configured port
 * keeps its alias to itself; an invalid entry is reported, not applied.
 */
export async function watchPorts(
  nc: NatsConnection,
  { manager, reservedAlias, log, replicas = 1 }: { manager: PortManager; reservedAlias: string; log: Logger; replicas?: number },
): Promise<PortWatcher> {
  const ports = await openBucket(nc, buckets.ports, { replicas });
  const iterator = await ports.watch();
  const loop = (async () => {
    for await (const entry of iterator) {
      const alias = entry.key;
      if (entry.operation !== "PUT") {
        await manager.apply(alias, undefined);
      } else if (alias === reservedAlias) {
        await manager.fail(alias, `alias ${alias} belongs to this listener's built-in port (WHARF_FTP_PORT_ALIAS)`);
      } else {
        const parsed = PortConfig.safeParse(parseJson(entry.string()));
        if (parsed.success) await manager.apply(alias, { ...portSettingsOf(parsed.data), enabled: parsed.data.enabled });
        else await manager.fail(alias, `invalid port configuration: ${describeIssues(parsed.error).join("; ")}`);
      }
    }
  })().catch((error: unknown) => log.error({ err: error }, "port watch ended"));
  return {
    stop: async () => {
      iterator.stop();
      await loop;
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
