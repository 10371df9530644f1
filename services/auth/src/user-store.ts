import { followBucket, type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, type CertificateRule, isValidUserName, UserRecord, type UserRecordInput } from "@wharf/contracts";
import { type CertificateFacts, ruleMatches } from "./certificate-identity.js";

export interface UserStore {
  /** The user, or undefined when there is no such user (or its record is unreadable). */
  get(name: string): Promise<UserRecord | undefined>;
  /** Validates and stores a user; throws with the problem when the record is not valid. */
  put(user: UserRecordInput): Promise<void>;
  delete(name: string): Promise<void>;
  names(): Promise<string[]>;
}

/** Where a store's changes go: the bucket itself, or a writer that records each change too (the CLI's audit). */
export interface UserWrites {
  put(key: string, value: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

/**
 * Users live in a JetStream KV bucket, so every auth instance (and every
 * machine) sees the same users, and a change is visible at once.
 */
export async function createUserStore(nc: NatsConnection, { replicas = 1, writes }: { replicas?: number; writes?: UserWrites } = {}): Promise<UserStore> {
  const kv = await openBucket(nc, buckets.users, { replicas });
  const writer: UserWrites = writes ?? kv;
  return {
    get: async (name) => {
      if (!isValidUserName(name)) return undefined;
      const entry = await kv.get(name);
      if (entry?.operation !== "PUT") return undefined;
      const parsed = UserRecord.safeParse(entry.json());
      return parsed.success ? parsed.data : undefined;
    },
    put: async (user) => {
      const record = UserRecord.parse(user);
      if (!isValidUserName(record.name)) throw new Error(`"${record.name}" cannot be a user name`);
      await writer.put(record.name, JSON.stringify(record));
    },
    delete: async (name) => {
      await writer.delete(name);
    },
    names: async () => {
      const names: string[] = [];
      for await (const key of await kv.keys()) names.push(key);
      return names.sort();
    },
  };
}

export interface CertificateIndex {
  /** The users whose certificate rules match, as far as the watch has seen. */
  owners(facts: CertificateFacts): string[];
  stop(): void;
}

/**
 * Every user's certificate rules, followed live from the users bucket, so
 * that auth can tell when a certificate is claimed by more than one user (or
 * by another user than the one named) without reading every user per login.
 */
export async function watchCertificateIndex(nc: NatsConnection, { replicas = 1 } = {}): Promise<CertificateIndex> {
  const kv = await openBucket(nc, buckets.users, { replicas });
  const rules = new Map<string, { revision: number; certificates: CertificateRule[] }>();
  // Every user's rules are in memory before auth answers its first login.
  const followed = await followBucket(
    kv,
    (json) => UserRecord.safeParse(json).data,
    (key, user, revision) => {
      if ((rules.get(key)?.revision ?? 0) < revision) rules.set(key, { revision, certificates: user?.certificates ?? [] });
    },
  );
  return {
    owners: (facts) => [...rules].filter(([, user]) => user.certificates.some((rule) => ruleMatches(rule, facts))).map(([name]) => name),
    stop: () => followed.stop(),
  };
}
