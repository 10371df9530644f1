import { Kvm } from "@nats-io/kv";
import { buckets, EndpointConfig, PipelineConfig } from "@wharf/contracts";
import { connectForCli } from "../ports/apply.js";

/**
 * `wharf endpoints ls` and `wharf pipelines ls`: what `wharf apply -f` wrote,
 * one line each. Secrets show as their reference (env:NAME, file:PATH), never
 * as values.
 */
export async function outboundSettingsCommand(
  kind: "endpoints" | "pipelines",
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  if (args.length !== 1 || args[0] !== "ls") {
    err(`usage: wharf ${kind} ls`);
    return 2;
  }
  const nc = await connectForCli(env);
  try {
    const kv = await new Kvm(nc).create(kind === "endpoints" ? buckets.endpoints : buckets.pipelines, { history: 5 });
    out(kind === "endpoints" ? "NAME\tADDRESS\tTLS\tUSER\tPASSWORD\tTRUST\tREMOTE FOLDER" : "NAME\tENABLED\tSOURCE\tTARGET\tMAX ATTEMPTS");
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry?.operation !== "PUT") continue;
      if (kind === "endpoints") {
        const parsed = EndpointConfig.safeParse(entry.json());
        if (!parsed.success) {
          out(`${key}\t(invalid)`);
          continue;
        }
        const endpoint = parsed.data;
        const password = endpoint.password ? (endpoint.password.env ? `env:${endpoint.password.env}` : `file:${endpoint.password.file}`) : "-";
        const trust = endpoint.tls === "none" ? "-" : endpoint.trust.fingerprint ? `pin:${endpoint.trust.fingerprint.slice(0, 16)}…` : endpoint.trust.caFile ? `ca:${endpoint.trust.caFile}` : endpoint.trust.insecure ? "INSECURE" : "system CAs";
        out(`${endpoint.name}\t${endpoint.host}:${endpoint.port}\t${endpoint.tls}\t${endpoint.user}\t${password}\t${trust}\t${endpoint.remoteFolder}`);
      } else {
        const parsed = PipelineConfig.safeParse(entry.json());
        if (!parsed.success) {
          out(`${key}\t(invalid)`);
          continue;
        }
        const { name, enabled, source, target, retry } = parsed.data;
        const from = `${source.root ?? "*"}:${source.folder}/${source.glob}`.replace("//", "/") + (source.user ? ` (by ${source.user})` : "");
        out(`${name}\t${enabled}\t${from}\t${target}\t${retry.maxAttempts}`);
      }
    }
    return 0;
  } finally {
    await nc.close();
  }
}
