import { followBucket, type FollowedBucket, type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, EndpointConfig, PipelineConfig, PullConfig } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";

/** The endpoints, pipelines and pulls outbound works with, kept up to date from their buckets (`wharf apply -f` writes them). */
export interface OutboundSettings {
  endpoint(name: string): EndpointConfig | undefined;
  pipelines(): PipelineConfig[];
  pulls(): PullConfig[];
  stop(): void;
}

/** What the decoder makes of a stored setting that does not parse. */
const UNREADABLE: unique symbol = Symbol("unreadable setting");

export async function watchOutboundSettings(nc: NatsConnection, log: Logger, { replicas = 1 } = {}): Promise<OutboundSettings> {
  const endpoints = new Map<string, { value: EndpointConfig; revision: number }>();
  const pipelines = new Map<string, { value: PipelineConfig; revision: number }>();
  const pulls = new Map<string, { value: PullConfig; revision: number }>();
  // A setting this version cannot read (written by a newer CLI during a rolling upgrade, say) keeps the last
  // one it could: dropping it would drop a pipeline, and its files would be acknowledged undelivered.
  const decoder =
    <T>(schema: { safeParse(input: unknown): { success: true; data: T } | { success: false } }, kind: string) =>
    (json: unknown): T | typeof UNREADABLE => {
      const parsed = schema.safeParse(json);
      if (parsed.success) return parsed.data;
      log.error({ kind, name: (json as { name?: unknown } | undefined)?.name }, "a stored setting does not parse; the last one read is kept");
      return UNREADABLE;
    };
  const keep =
    <T>(into: Map<string, { value: T; revision: number }>) =>
    (key: string, value: T | typeof UNREADABLE | undefined, revision: number) => {
      const known = into.get(key);
      if (known && known.revision > revision) return;
      if (value === UNREADABLE) return;
      if (value === undefined) into.delete(key);
      else into.set(key, { value, revision });
    };
  const followed: FollowedBucket[] = [
    await followBucket(await openBucket(nc, buckets.endpoints, { replicas }), decoder(EndpointConfig, "endpoint"), keep(endpoints)),
    await followBucket(await openBucket(nc, buckets.pipelines, { replicas }), decoder(PipelineConfig, "pipeline"), keep(pipelines)),
    await followBucket(await openBucket(nc, buckets.pulls, { replicas }), decoder(PullConfig, "pull"), keep(pulls)),
  ];
  return {
    endpoint: (name) => endpoints.get(name)?.value,
    pipelines: () => [...pipelines.values()].map((entry) => entry.value),
    pulls: () => [...pulls.values()].map((entry) => entry.value),
    stop: () => {
      for (const bucket of followed) bucket.stop();
    },
  };
}
