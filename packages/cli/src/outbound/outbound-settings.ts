import type { NatsConnection } from "@wharf/bus";
import { openBucket } from "@wharf/bus";
import { buckets, EndpointConfig, PipelineConfig } from "@wharf/contracts";
import { probeEndpoint } from "@wharf/outbound";
import { cliReplicas, connectForCli } from "../ports/apply.js";
import { cliKeyring } from "../secrets/cli-keyring.js";
import { describeSecret } from "../secrets/endpoint-secrets.js";

/**
 * `wharf endpoints ls` and `wharf pipelines ls`: what `wharf apply -f` wrote,
 * one line each. Secrets show as their reference (env:NAME, file:PATH) or as
 * the key they are sealed with (sealed (key KID)), never as values.
 */
export async function outboundSettingsCommand(
  kind: "endpoints" | "pipelines",
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const validate = kind === "endpoints" && args[0] === "validate" && args.length === 2;
  if (!validate && (args.length !== 1 || args[0] !== "ls")) {
    err(kind === "endpoints" ? "usage: wharf endpoints ls | wharf endpoints validate NAME" : "usage: wharf pipelines ls");
    return 2;
  }
  const nc = await connectForCli(env);
  try {
    if (validate) return await validateEndpoint(nc, args[1] as string, env, out, err);
    const kv = await openBucket(nc, kind === "endpoints" ? buckets.endpoints : buckets.pipelines, { replicas: cliReplicas(env) });
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
        const password = describeSecret(endpoint.password);
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

/** `wharf endpoints validate NAME`: one connection to the partner, as a delivery makes it, and what it showed. */
async function validateEndpoint(nc: NatsConnection, name: string, env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const entry = await (await openBucket(nc, buckets.endpoints, { replicas: cliReplicas(env) })).get(name);
  if (entry?.operation !== "PUT") {
    err(`no endpoint ${name} (wharf endpoints ls lists them)`);
    return 1;
  }
  const parsed = EndpointConfig.safeParse(entry.json());
  if (!parsed.success) {
    err(`endpoint ${name} is stored but does not parse; apply it again`);
    return 1;
  }
  const keys = await cliKeyring(env, err);
  if (!keys.ok) return keys.code;
  const report = await probeEndpoint(parsed.data, { keyring: keys.keyring, env });
  for (const line of report.lines) out(`${line.ok ? "ok  " : "FAIL"} ${line.check}: ${line.detail}`);
  for (const suggestion of report.suggestions) out(`suggest ${suggestion}`);
  out(report.ok ? `${name}: deliveries can work` : `${name}: deliveries would fail`);
  return report.ok ? 0 : 1;
}
