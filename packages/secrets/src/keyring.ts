import { createHash } from "node:crypto";
import { inspect } from "node:util";

/** Bytes of a key: AES-256. */
export const KEY_BYTES = 32;

/**
 * The id of a key: the first 16 hex digits of its SHA-256. Sealed secrets
 * name the key that wraps them by it, and `wharf secrets status` counts by
 * it, so an operator can tell keys apart without ever seeing one.
 */
export function keyId(key: Uint8Array): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** The keys of each keyring, out of reach of anything that walks the object (a logger, JSON.stringify, util.inspect). */
const material = new WeakMap<Keyring, ReadonlyMap<string, Buffer>>();

/**
 * The keys secrets are sealed with: the current one (the first given) seals,
 * every one opens. Older keys stay on the ring while `wharf secrets rotate`
 * moves what they sealed to the current one (docs/secrets.md). Printing or
 * logging a keyring shows its key ids only.
 */
export class Keyring {
  /** The id of the key new secrets are sealed with. */
  readonly current: string;
  /** Every key's id, the current one first. */
  readonly ids: readonly string[];

  /** Throws if there is no key, a key is not 32 bytes, or one is given twice (loadKeyring reports these per variable first). */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new Error("a keyring needs at least one key");
    const byId = new Map<string, Buffer>();
    for (const key of keys) {
      if (key.byteLength !== KEY_BYTES) throw new Error(`a key is ${key.byteLength} bytes, not ${KEY_BYTES}`);
      const id = keyId(key);
      if (byId.has(id)) throw new Error(`key ${id} is given twice`);
      byId.set(id, Buffer.from(key));
    }
    this.ids = Object.freeze([...byId.keys()]);
    this.current = this.ids[0] as string;
    material.set(this, byId);
    Object.freeze(this);
  }

  has(kid: string): boolean {
    return this.ids.includes(kid);
  }

  toJSON(): { current: string; ids: readonly string[] } {
    return { current: this.current, ids: this.ids };
  }

  [inspect.custom](): string {
    return `Keyring { current: ${this.current}, ids: [${this.ids.join(", ")}] }`;
  }
}

/** A key of the ring, for the envelope code of this package only (not exported by index.ts). */
export function keyOf(keyring: Keyring, kid: string): Buffer | undefined {
  return material.get(keyring)?.get(kid);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes base64 keys, each with the place it came from ("line 3", "key 2"),
 * and names every problem: not base64, not 32 bytes, the same key twice.
 */
export function decodeKeys(entries: ReadonlyArray<{ text: string; where: string }>): { keys: Buffer[]; problems: string[] } {
  const keys: Buffer[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const { text, where } of entries) {
    if (!BASE64.test(text)) {
      problems.push(`${where}: is not base64 (make a key with: openssl rand -base64 32)`);
      continue;
    }
    const key = Buffer.from(text, "base64");
    if (key.byteLength !== KEY_BYTES) {
      problems.push(`${where}: is ${key.byteLength} bytes, a key is ${KEY_BYTES} (make one with: openssl rand -base64 32)`);
      continue;
    }
    const id = keyId(key);
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push(`${where}: is the same key as ${first}`);
      continue;
    }
    seen.set(id, where);
    keys.push(key);
  }
  return { keys, problems };
}

/** The keys of WHARF_SECRETS_KEY: base64 keys separated by commas (spaces around them ignored). */
export function keysOfList(value: string): { keys: Buffer[]; problems: string[] } {
  const parts = value.split(",").map((part) => part.trim());
  const decoded = decodeKeys(parts.map((text, index) => ({ text, where: `key ${index + 1}` })).filter(({ text }) => text !== ""));
  if (decoded.keys.length === 0 && decoded.problems.length === 0) decoded.problems.push("holds no key");
  return decoded;
}

/** The keys of a WHARF_SECRETS_KEY_FILE: one base64 key a line; blank lines and # comments are skipped. */
export function keysOfFile(text: string): { keys: Buffer[]; problems: string[] } {
  const lines = text.split(/\r?\n/).map((line, index) => ({ text: line.replace(/#.*$/, "").trim(), where: `line ${index + 1}` }));
  const decoded = decodeKeys(lines.filter(({ text }) => text !== ""));
  if (decoded.keys.length === 0 && decoded.problems.length === 0) decoded.problems.push("holds no key");
  return decoded;
}
