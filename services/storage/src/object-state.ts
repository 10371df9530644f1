import type { KV } from "@nats-io/kv";
import type { ObjectBucket } from "./object-io.js";
import { scanKeyValues } from "./jetstream-scan.js";

/**
 * The object-store backend's own bookkeeping, in one KV bucket shared by every
 * storage instance:
 * - `u.<upload id>`: an upload in progress (its object, its instance), renewed while it runs;
 * - `j.<upload id>`: a commit's journal (what it puts where, what it replaces, its event);
 * - `p.<root>.<hash of the path>`: a kept partial upload;
 * - `t.<nuid>`: an object nothing refers to any more, freed after a grace period
 *   (readers that opened it before it was replaced or deleted can finish).
 */
export class ObjectState {
  constructor(
    private readonly kv: KV,
    private readonly bucket: ObjectBucket,
    private readonly kvName: string,
  ) {}

  async put(key: string, value: unknown): Promise<void> {
    await this.kv.put(key, JSON.stringify(value));
  }

  async get<T>(key: string): Promise<T | undefined> {
    const entry = await this.kv.get(key);
    if (entry?.operation !== "PUT") return undefined;
    try {
      return entry.json<T>();
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(key);
  }

  /** Every current entry under a key filter (`j.*`, `p.<root>.*`, …). */
  async *scan<T>(filter: string): AsyncGenerator<{ key: string; value: T }> {
    for await (const { key, value } of scanKeyValues(this.bucket.js, this.bucket.jsm, this.kvName, filter)) {
      try {
        yield { key, value: JSON.parse(Buffer.from(value).toString()) as T };
      } catch {
        // Not JSON: not ours to read, left for an operator.
      }
    }
  }
}
