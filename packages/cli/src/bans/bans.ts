import { BanRecord, banKey, buckets } from "@wharf/contracts";
import { createConfigAudit, openAuditedBucket } from "../audit/config-audit.js";
import { cliReplicas, connectForCli } from "../ports/apply.js";

/**
 * `wharf bans ls`: the addresses the brute-force defender is banning now (and
 * those with failures counted); `wharf bans rm ADDRESS`: lift a ban and its
 * failure count, for every listener at once.
 */
export async function bansCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [sub, address] = args;
  if (!(sub === "ls" && args.length === 1) && !(sub === "rm" && address && args.length === 2)) {
    err("usage: wharf bans ls | wharf bans rm ADDRESS");
    return 2;
  }
  const nc = await connectForCli(env);
  try {
    const kv = await openAuditedBucket(nc, buckets.bans, createConfigAudit(nc, env, "bans rm", { replicas: cliReplicas(env) }), { replicas: cliReplicas(env) });
    if (sub === "rm") {
      const entry = await kv.get(banKey(address as string));
      if (entry?.operation !== "PUT") {
        err(`no ban or failure count for ${address}`);
        return 1;
      }
      await kv.delete(banKey(address as string));
      out(`${address}: ban lifted`);
      return 0;
    }
    out("ADDRESS\tBANNED UNTIL\tBANS\tFAILURES");
    const now = Date.now();
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry?.operation !== "PUT") continue;
      const parsed = BanRecord.safeParse(entry.json());
      if (!parsed.success) continue;
      const { address: who, bannedUntil, bans, failures } = parsed.data;
      out(`${who}\t${bannedUntil > now ? new Date(bannedUntil).toISOString() : "-"}\t${bans}\t${failures}`);
    }
    return 0;
  } finally {
    await nc.close();
  }
}
