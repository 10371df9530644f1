import { openBucket } from "@wharf/bus";
import { buckets, PortConfig } from "@wharf/contracts";
import { cliReplicas, connectForCli } from "./apply.js";

/** `wharf ports ls`: the configured ports; `wharf ports status`: what each listener made of them. */
export async function portsCommand(sub: string | undefined, env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  if (sub !== "ls" && sub !== "status") {
    err("usage: wharf ports ls | wharf ports status");
    return 2;
  }
  const nc = await connectForCli(env);
  try {
    if (sub === "ls") {
      const kv = await openBucket(nc, buckets.ports, { replicas: cliReplicas(env) });
      out("ALIAS\tPORT\tTLS\tENABLED\tBIND");
      for await (const key of await kv.keys()) {
        const entry = await kv.get(key);
        if (entry?.operation !== "PUT") continue;
        const parsed = PortConfig.safeParse(JSON.parse(entry.string()));
        if (!parsed.success) out(`${key}\t-\t-\t-\t(invalid)`);
        else out(`${key}\t${parsed.data.port}\t${parsed.data.tlsMode}\t${parsed.data.enabled}\t${parsed.data.bindAddress}`);
      }
      return 0;
    }
    const kv = await openBucket(nc, buckets.portStatus, { replicas: cliReplicas(env) });
    out("ALIAS\tLISTENER\tSTATE\tPORT\tSINCE\tERROR");
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry?.operation !== "PUT") continue;
      const status = JSON.parse(entry.string()) as { alias: string; listener: string; state: string; port?: number; at: string; error?: string };
      out(`${status.alias}\t${status.listener}\t${status.state}\t${status.port ?? "-"}\t${status.at}\t${status.error ?? ""}`);
    }
    return 0;
  } finally {
    await nc.close();
  }
}
