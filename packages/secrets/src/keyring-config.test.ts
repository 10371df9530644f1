import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigError, parseConfig } from "@wharf/config";
import { z } from "zod";
import { keyId } from "./keyring.js";
import { loadKeyring, secretsEnv, secretsSettings } from "./keyring-config.js";

const keyA = randomBytes(32);
const keyB = randomBytes(32);
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "wharf-keyring-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const problemsOf = async (promise: Promise<unknown>): Promise<readonly string[]> => {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  return assert.fail("should not load");
};

test("keyring file - the first key is current, older ones follow; comments and blank lines are skipped", async () => {
  const file = join(dir, "keys");
  await writeFile(file, `# rotated 2025-06\n${keyB.toString("base64")}\n\n  ${keyA.toString("base64")}  # the old one\n`);
  const keyring = await loadKeyring({ keyFile: file, keys: undefined });
  assert.ok(keyring);
  assert.equal(keyring.current, keyId(keyB));
  assert.deepEqual(keyring.ids, [keyId(keyB), keyId(keyA)]);
});

test("keyring file - every bad line is named with the variable and the file", async () => {
  const file = join(dir, "bad-keys");
  await writeFile(file, [keyA.toString("base64"), "not base64!", randomBytes(16).toString("base64"), keyA.toString("base64")].join("\n"));
  assert.deepEqual(await problemsOf(loadKeyring({ keyFile: file, keys: undefined })), [
    `WHARF_SECRETS_KEY_FILE: ${file}: line 2: is not base64 (make a key with: openssl rand -base64 32)`,
    `WHARF_SECRETS_KEY_FILE: ${file}: line 3: is 16 bytes, a key is 32 (make one with: openssl rand -base64 32)`,
    `WHARF_SECRETS_KEY_FILE: ${file}: line 4: is the same key as line 1`,
  ]);
});

test("keyring file - an empty or missing file is a config error", async () => {
  const empty = join(dir, "empty");
  await writeFile(empty, "# nothing yet\n\n");
  assert.deepEqual(await problemsOf(loadKeyring({ keyFile: empty, keys: undefined })), [`WHARF_SECRETS_KEY_FILE: ${empty}: holds no key`]);
  assert.deepEqual(await problemsOf(loadKeyring({ keyFile: join(dir, "absent"), keys: undefined })), [`WHARF_SECRETS_KEY_FILE: cannot read ${join(dir, "absent")} (ENOENT)`]);
});

test("keyring list - comma separated, current first; a bad key is named without its value", async () => {
  const keyring = await loadKeyring({ keyFile: undefined, keys: `${keyB.toString("base64")}, ${keyA.toString("base64")}` });
  assert.deepEqual(keyring?.ids, [keyId(keyB), keyId(keyA)]);
  const short = randomBytes(31).toString("base64");
  const problems = await problemsOf(loadKeyring({ keyFile: undefined, keys: `${keyA.toString("base64")},${short}` }));
  assert.deepEqual(problems, ["WHARF_SECRETS_KEY: key 2: is 31 bytes, a key is 32 (make one with: openssl rand -base64 32) (value hidden)"]);
});

test("keyring - none configured is no keyring; both variables at once is an error", async () => {
  assert.equal(await loadKeyring({ keyFile: undefined, keys: undefined }), undefined);
  assert.deepEqual(await problemsOf(loadKeyring({ keyFile: "/x", keys: keyA.toString("base64") })), ["WHARF_SECRETS_KEY_FILE: give it or WHARF_SECRETS_KEY, not both"]);
});

test("config schema - WHARF_SECRETS_KEY is checked with the rest of the environment, its value never shown", () => {
  const schema = z.object(secretsEnv).transform(secretsSettings);
  assert.deepEqual(parseConfig(schema, { WHARF_SECRETS_KEY_FILE: "/etc/wharf/keys" }), { keyFile: "/etc/wharf/keys", keys: undefined });
  const bad = "c2hvcnQ=";
  try {
    parseConfig(schema, { WHARF_SECRETS_KEY: bad });
    assert.fail("a 5-byte key must be refused");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, ["WHARF_SECRETS_KEY: key 1: is 5 bytes, a key is 32 (make one with: openssl rand -base64 32) (value hidden)"]);
  }
  assert.throws(() => parseConfig(schema, { WHARF_SECRETS_KEY: " , " }), (error: unknown) => error instanceof ConfigError && error.problems[0] === "WHARF_SECRETS_KEY: holds no key (value hidden)");
});
