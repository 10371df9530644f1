import { readFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { nkeys } from "@nats-io/nats-core";
import type { KV } from "@nats-io/kv";
import { createUserStore, type UserStore } from "@wharf/auth";
import { ensureStream, type NatsConnection, openBucket, publishEvent, seedFileOf } from "@wharf/bus";
import { type bucketSettings, buckets, type ConfigActor, type ConfigChangedEvent, streams, subjects } from "@wharf/contracts";
import { cliCredentials } from "../ports/apply.js";
import { AuditedWriteError, type ConfigAudit, writeAudited } from "./audited-bucket.js";

/**
 * Who is running the CLI: WHARF_ADMIN_NAME, else the operating-system user;
 * the host; and the NATS identity it connects as, which the server verified:
 * its nkey's public key (the admin seed), or its NATS user name; empty when
 * it connects without one.
 */
export function configActor(env: NodeJS.ProcessEnv): ConfigActor {
  return { name: env.WHARF_ADMIN_NAME?.trim() || osUserName(env), host: hostname(), identity: natsIdentityOf(env) };
}

function natsIdentityOf(env: NodeJS.ProcessEnv): string {
  const credentials = cliCredentials(env);
  const seedFile = credentials.nkeyFile ?? (credentials.identityDir ? seedFileOf(credentials.identityDir, "admin") : undefined);
  if (seedFile) {
    try {
      return `nkey ${nkeys.fromSeed(new TextEncoder().encode(readFileSync(seedFile, "utf8").trim())).getPublicKey()}`;
    } catch {
      // An unreadable seed fails the connection itself, with its own message.
    }
  }
  return credentials.user ? `user ${credentials.user}` : "";
}

function osUserName(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    // A container user with no passwd entry.
    return env.USER || env.LOGNAME || `uid ${process.getuid?.() ?? "unknown"}`;
  }
}

/**
 * The audit of one CLI command, publishing to the events stream. When that
 * stream is missing (the CLI runs before any service has started), it is
 * created as the services create it; they set its age limit when they start.
 */
export function createConfigAudit(nc: NatsConnection, env: NodeJS.ProcessEnv, command: string, { replicas = 1 }: { replicas?: number } = {}): ConfigAudit {
  let ready: Promise<void> | undefined;
  return {
    actor: configActor(env),
    command,
    ready: () => {
      ready ??= ensureStream(nc, streams.audit, { replicas }).catch((error: unknown) => {
        ready = undefined;
        throw new AuditedWriteError(`nothing was changed: the audit stream ${streams.audit.name}, where configuration changes are recorded, is not available (${(error as Error).message})`, false, { cause: error });
      });
      return ready;
    },
    publish: async (event: ConfigChangedEvent, msgId: string) => {
      await publishEvent(nc, subjects.configChanged, event, { msgId });
    },
    now: () => new Date(),
  };
}

/** A configuration bucket whose writes are audited; reads are the bucket's own. */
export interface AuditedBucket {
  get: KV["get"];
  keys: KV["keys"];
  put(key: string, value: string): Promise<ConfigChangedEvent | undefined>;
  delete(key: string): Promise<ConfigChangedEvent | undefined>;
}

export async function openAuditedBucket(nc: NatsConnection, name: keyof typeof bucketSettings, audit: ConfigAudit, { replicas = 1 }: { replicas?: number } = {}): Promise<AuditedBucket> {
  const kv = await openBucket(nc, name, { replicas });
  return {
    get: (key) => kv.get(key),
    keys: (filter) => kv.keys(filter),
    put: (key, value) => writeAudited(audit, kv, name, key, value),
    delete: (key) => writeAudited(audit, kv, name, key, undefined),
  };
}

/** The user store of @wharf/auth, with its writes audited. */
export async function openAuditedUserStore(nc: NatsConnection, audit: ConfigAudit, { replicas = 1 }: { replicas?: number } = {}): Promise<UserStore> {
  return createUserStore(nc, { replicas, writes: await openAuditedBucket(nc, buckets.users, audit, { replicas }) });
}
