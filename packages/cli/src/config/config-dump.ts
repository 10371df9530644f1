import type { KV } from "@nats-io/kv";
import { openBucket } from "@wharf/bus";
import { buckets, EndpointConfig, PipelineConfig, PortConfig, PullConfig, UserRecord } from "@wharf/contracts";
import { Document } from "yaml";
import { cliReplicas, connectForCli } from "../ports/apply.js";
import { withPlaceholders } from "../secrets/endpoint-secrets.js";

const HEADER = [
  " The configuration Wharf holds (wharf config dump); `wharf apply -f` accepts this file as it is.",
  " Secrets are not exported: a sealed secret shows as \"<sealed: KEY ID>\", which keeps the secret stored",
  " there when this file is applied to the same Wharf; give { value: ... } instead to set a new one.",
  " Secrets given by reference (env, file) show their reference. Users' password hashes are left out:",
  " applied, a user keeps the password it has (a new user gets none).",
].join("\n");

/**
 * `wharf config dump`: the configuration buckets (ports, users, endpoints,
 * pipelines, pulls) as one YAML file that `wharf apply -f` accepts, for a
 * backup of the settings, a review or a diff. Never a secret: sealed ones
 * are placeholders, password hashes are left out. An entry that does not
 * parse is reported and makes the status 1: the dump lacks it, and applying
 * the dump would remove it.
 */
export async function configCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  if (args.length !== 1 || args[0] !== "dump") {
    err("usage: wharf config dump (prints the configuration as YAML for wharf apply -f, secrets left out)");
    return 2;
  }
  const nc = await connectForCli(env);
  try {
    const replicas = cliReplicas(env);
    const problems: string[] = [];
    const read = async <T>(bucket: Parameters<typeof openBucket>[1], kind: string, schema: { safeParse(input: unknown): { success: true; data: T } | { success: false } }): Promise<T[]> => {
      const kv: KV = await openBucket(nc, bucket, { replicas });
      const keys: string[] = [];
      for await (const key of await kv.keys()) keys.push(key);
      const items: T[] = [];
      for (const key of keys.sort()) {
        const entry = await kv.get(key);
        if (entry?.operation !== "PUT") continue;
        const parsed = schema.safeParse(entry.json());
        if (parsed.success) items.push(parsed.data);
        else problems.push(`${kind} ${key}: stored, but does not parse; left out of the dump`);
      }
      return items;
    };
    const ports = await read(buckets.ports, "port", PortConfig);
    const users = (await read(buckets.users, "user", UserRecord)).map(({ passwordHash: _hash, ...user }) => user);
    const endpoints = (await read(buckets.endpoints, "endpoint", EndpointConfig)).map(withPlaceholders);
    const pipelines = await read(buckets.pipelines, "pipeline", PipelineConfig);
    const pulls = await read(buckets.pulls, "pull", PullConfig);
    const document = new Document({ ports, users, endpoints, pipelines, pulls });
    document.commentBefore = HEADER;
    out(document.toString({ lineWidth: 0 }).trimEnd());
    for (const problem of problems) err(problem);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await nc.close();
  }
}
