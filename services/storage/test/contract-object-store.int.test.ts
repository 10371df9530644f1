import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@wharf/bus";
import { buckets } from "@wharf/contracts";
import { backendContract } from "./backend-contract.js";

/** The state bucket's entries of one kind: `u` uploads in progress, `j` commit journals. */
async function stateOf(nc: NatsConnection, kind: "u" | "j") {
  const kv = await new Kvm(nc).open(buckets.objectState);
  const found: Array<{ nuid?: string }> = [];
  for await (const key of await kv.keys(`${kind}.*`)) {
    const entry = await kv.get(key);
    if (entry?.operation === "PUT") found.push(entry.json());
  }
  return found;
}

backendContract("object-store", {
  backend: async () => ({ kind: "object-store", instanceId: "contract-test", staleMs: 60_000 }),
  // Chunks published for uploads still in progress (each chunk but the last is 128 KiB).
  bytesInProgress: async (nc) => {
    const jsm = await jetstreamManager(nc);
    let bytes = 0;
    for (const { nuid } of await stateOf(nc, "u")) {
      const info = await jsm.streams.info(`OBJ_${buckets.objects}`, { subjects_filter: `$O.${buckets.objects}.C.${nuid}` });
      bytes += Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count * 128 * 1024, 0);
    }
    return bytes;
  },
  leftovers: async (nc) => (await stateOf(nc, "u")).length + (await stateOf(nc, "j")).length,
  cleanUp: async () => undefined,
});
