import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nkeys } from "@nats-io/nats-core";
import { type NatsIdentity, natsIdentities, natsPermissions } from "@wharf/contracts";

/** The folder of identities `wharf start` keeps under its data folder. */
export const natsIdentityDirOf = (dataDir: string) => join(dataDir, "nats-identities");

/** Where an identity's nkey seed lives in a folder of identities (`wharf nats init`, `wharf start`). */
export const seedFileOf = (dir: string, identity: NatsIdentity) => join(dir, `${identity}.nk`);

/** The server's half: the file nats-server includes (`include authorization.conf`). */
export const authorizationFileOf = (dir: string) => join(dir, "authorization.conf");

/**
 * Makes an nkey seed for every identity that has none yet in `dir` (mode 0600; a folder of 0700), keeps
 * those that exist, and resolves with each identity's public key. The seeds never leave this folder: the
 * server's configuration holds only the public keys, and a client proves it holds the seed by signing the
 * server's nonce.
 */
export async function ensureNatsIdentities(dir: string): Promise<Record<NatsIdentity, string>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const publicKeys = {} as Record<NatsIdentity, string>;
  for (const identity of natsIdentities) {
    const file = seedFileOf(dir, identity);
    let seed = await readFile(file, "utf8").then(
      (text) => text.trim(),
      () => undefined,
    );
    if (!seed) {
      seed = new TextDecoder().decode(nkeys.createUser().getSeed());
      // wx: two runs at once do not overwrite each other's seed (the second fails, and says so).
      await writeFile(file, `${seed}\n`, { mode: 0o600, flag: "wx" });
    }
    await chmod(file, 0o600);
    publicKeys[identity] = nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  }
  return publicKeys;
}

/** nats-server's `authorization` block: one nkey user per identity, each with its permissions. No anonymous user. */
export function natsAuthorizationBlock(publicKeys: Record<NatsIdentity, string>): string {
  const list = (subjects: string[]) => `[${subjects.map((subject) => JSON.stringify(subject)).join(", ")}]`;
  const users = natsIdentities.map((identity) => {
    const permissions = natsPermissions(identity);
    return [
      `    # ${identity}`,
      `    { nkey: ${JSON.stringify(publicKeys[identity])}, permissions: {`,
      `        publish: { allow: ${list(permissions.publish)} }`,
      `        subscribe: { allow: ${list(permissions.subscribe)} }`,
      ...(permissions.allowResponses ? ["        allow_responses: true"] : []),
      "    } }",
    ].join("\n");
  });
  return [
    "# Wharf's NATS identities and what each may publish and subscribe to (made by `wharf nats init`).",
    "# Made again from the same seeds whenever Wharf's subjects change; edit the seeds, not this file.",
    "authorization {",
    "  users: [",
    ...users,
    "  ]",
    "}",
    "",
  ].join("\n");
}

/** Seeds (kept) and the authorization file (written again), in one folder; resolves with the file's path. */
export async function writeNatsAuthorization(dir: string): Promise<string> {
  const publicKeys = await ensureNatsIdentities(dir);
  const file = authorizationFileOf(dir);
  await writeFile(file, natsAuthorizationBlock(publicKeys), { mode: 0o600 });
  return file;
}
