import { argon2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const argon2Async = promisify(argon2);

/** argon2id cost parameters (OWASP's 2024 minimum: m=19 MiB, t=2, p=1). */
export interface Argon2Params {
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

export const defaultArgon2Params: Argon2Params = { memoryKiB: 19_456, passes: 2, parallelism: 1 };

const TAG_LENGTH = 32;
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");

/**
 * Hashes a password with argon2id (Node's own implementation) and returns the
 * PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, the format every argon2
 * library reads, so hashes can move in and out of Wharf.
 */
export async function hashPassword(password: string, params: Argon2Params = defaultArgon2Params): Promise<string> {
  const salt = randomBytes(16);
  const tag = await argon2Async("argon2id", {
    message: password,
    nonce: salt,
    memory: params.memoryKiB,
    passes: params.passes,
    parallelism: params.parallelism,
    tagLength: TAG_LENGTH,
  });
  return `$argon2id$v=19$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(tag)}`;
}

/** True when the password matches the PHC hash; a malformed hash never matches. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const match = PHC.exec(phc);
  if (!match) return false;
  const [, memory, passes, parallelism, salt, hash] = match as unknown as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, "base64");
  const actual = await argon2Async("argon2id", {
    message: password,
    nonce: Buffer.from(salt, "base64"),
    memory: Number(memory),
    passes: Number(passes),
    parallelism: Number(parallelism),
    tagLength: expected.length,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
