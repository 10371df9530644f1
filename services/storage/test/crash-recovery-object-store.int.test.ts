import { Kvm } from "@nats-io/kv";
import { buckets } from "@wharf/contracts";
import { crashRecoverySuite } from "./crash-recovery-suite.js";

crashRecoverySuite("object-store", {
  // The same instance id on every start, as a restarted instance keeps its name: its leftovers are its own to finish at start.
  env: { WHARF_STORAGE_BACKEND: "nats", WHARF_STORAGE_INSTANCE_ID: "crash-test" },
  // Uploads in progress (u.*) and commit journals (j.*) in the state bucket.
  leftovers: async (nc) => {
    const kv = await new Kvm(nc).open(buckets.objectState);
    let count = 0;
    for (const filter of ["u.*", "j.*"]) for await (const _ of await kv.keys(filter)) count++;
    return count;
  },
});
