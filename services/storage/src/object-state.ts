import type { KV } from "@nats-io/kv";
import type { ObjectBucket } from "./object-io.js";
import { dropDeleteMarker, scanKeyValues } from "./jetstream-scan.js";
import { isRevisionConflict } from "@wharf/bus";

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
    return (await this.getAt<T>(key))?.value;
  }

  /** The value and its revision, for a revision-checked change. */
  async getAt<T>(key: string): Promise<{ value: T; revision: number } | undefined> {
    const entry = await this.kv.get(key);
    if (entry?.operation !== "PUT") return undefined;
    try {
      return { value: entry.json<T>(), revision: entry.revision };
    } catch {
      return undefined;
    }
  }

  /** Writes `value` if the key is still at `revision` (0: if it has no value); resolves false if someone changed it since. */
  async putAt(key: string, value: unknown, revision: number): Promise<boolean> {
    try {
      if (revision === 0) await this.kv.create(key, JSON.stringify(value));
      else await this.kv.update(key, JSON.stringify(value), revision);
      return true;
    } catch (error) {
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }

  /**
   * Removes a key outright (its messages purged from the stream: no delete
   * marker to read past later, one round trip). For these keys' only writers
   * an unconditional removal is right: a late renewal of an upload's record
   * that lands after it only leaves a record recovery drops.
   */
  async delete(key: string): Promise<void> {
    await this.bucket.jsm.streams.purge(`KV_${this.kvName}`, { filter: `$KV.${this.kvName}.${key}` });
  }

  private async dropMarker(key: string): Promise<void> {
    await dropDeleteMarker(this.bucket.jsm, this.kvName, key).catch(() => undefined);
  }

  /** Removes the key if it is still at `revision`; resolves false if someone changed it since. */
  async deleteAt(key: string, revision: number): Promise<boolean> {
    try {
      await this.kv.delete(key, { previousSeq: revision });
      await this.dropMarker(key);
      return true;
    } catch (error) {
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }

  /** Every current entry under a key filter (`j.*`, `p.<root>.*`, …). */
  async *scan<T>(filter: string): AsyncGenerator<{ key: string; value: T; revision: number }> {
    for await (const { key, value, revision } of scanKeyValues(this.bucket.js, this.bucket.jsm, this.kvName, filter)) {
      try {
        yield { key, value: JSON.parse(Buffer.from(value).toString()) as T, revision };
      } catch {
        // Not JSON: not ours to read, left for an operator.
      }
    }
  }
}
