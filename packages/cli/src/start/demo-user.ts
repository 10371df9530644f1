import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hashPassword } from "@wharf/auth";
import type { NatsConnection } from "@wharf/bus";
import type { ConfigAudit } from "../audit/audited-bucket.js";
import { openAuditedUserStore } from "../audit/config-audit.js";

export const DEMO_USER = "demo";

export interface DemoUser {
  /** The password, only when this run created the user (it is shown once). */
  password: string | undefined;
  credentialsFile: string;
}

/**
 * On the first run, makes the user `demo` with a random password, writes the
 * credentials to <data>/demo-credentials.txt (mode 0600) and returns the
 * password so it can be printed once. Later runs leave the user alone. Its
 * creation is audited as any other change to the users.
 */
export async function ensureDemoUser(nc: NatsConnection, dataDir: string, audit: ConfigAudit): Promise<DemoUser> {
  const credentialsFile = join(dataDir, "demo-credentials.txt");
  const store = await openAuditedUserStore(nc, audit);
  if (await store.get(DEMO_USER)) return { password: undefined, credentialsFile };
  const password = randomBytes(18).toString("base64url");
  await store.put({ name: DEMO_USER, passwordHash: await hashPassword(password), enabled: true, home: DEMO_USER });
  await writeFile(credentialsFile, `user: ${DEMO_USER}\npassword: ${password}\n`, { mode: 0o600 });
  return { password, credentialsFile };
}
