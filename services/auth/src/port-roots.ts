import { followBucket, type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, PortConfig } from "@wharf/contracts";

export interface PortRoots {
  /**
   * The storage root a session on this port works in: the user's home, or the port's shared root when the
   * port gives every user the same one (userDirectory: false). The session grant names this root, as the
   * listener will (session.ts).
   */
  rootFor(portAlias: string, home: string): string;
  stop(): void;
}

/** Follows the `wharf_ports` bucket (read only: ports are the admin's) for the ports that share one root. */
export async function watchPortRoots(nc: NatsConnection, { replicas = 1 }: { replicas?: number } = {}): Promise<PortRoots> {
  const kv = await openBucket(nc, buckets.ports, { replicas });
  const shared = new Map<string, { root: string | undefined; revision: number }>();
  const followed = await followBucket(
    kv,
    (json) => PortConfig.safeParse(json).data,
    (alias, port, revision) => {
      if ((shared.get(alias)?.revision ?? 0) < revision) shared.set(alias, { root: port && !port.userDirectory ? port.defaultRoot : undefined, revision });
    },
  );
  return {
    rootFor: (portAlias, home) => shared.get(portAlias)?.root ?? home,
    stop: () => followed.stop(),
  };
}
