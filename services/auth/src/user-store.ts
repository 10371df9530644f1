import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@wharf/bus";
import { buckets } from "@wharf/contracts";
import { isValidUserName, UserRecord } from "./user-record.js";

export interface UserStore {
  /** The user, or undefined when there is no such user (or its record is unreadable). */
  get(name: string): Promise<UserRecord | undefined>;
  put(user: UserRecord): Promise<void>;
  delete(name: string): Promise<void>;
  names(): Promise<string[]>;
}

/**
 * Users live in a JetStream KV bucket, so every auth instance (and every
 * machine) sees the same users, and a change is visible at once.
 */
export async function createUserStore(nc: NatsConnection, { replicas = 1 } = {}): Promise<UserStore> {
  const kv = await new Kvm(nc).create(buckets.users, { history: 5, replicas });
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
      await kv.put(record.name, JSON.stringify(record));
    },
    delete: async (name) => {
      await kv.delete(name);
    },
    names: async () => {
      const names: string[] = [];
      for await (const key of await kv.keys()) names.push(key);
      return names.sort();
    },
  };
}
