import { randomBytes } from "node:crypto";
import { AuthConfig, hashPassword } from "@wharf/auth";
import { ConfigError, parseConfig } from "@wharf/config";
import { describeIssues, isValidUserName, UserRecord, type UserRecordInput } from "@wharf/contracts";
import { createConfigAudit, openAuditedUserStore } from "../audit/config-audit.js";
import { cliReplicas, connectForCli } from "../ports/apply.js";
import { parseUserFlags, USER_FLAGS } from "./user-flags.js";

const USAGE = `usage:
  wharf users ls
  wharf users add NAME [options]
  wharf users set NAME [options]
  wharf users rm NAME

options:
${USER_FLAGS}

Without --password-stdin (or --no-password), "add" makes a random password and prints it once.
Passwords are stored only as argon2id hashes (WHARF_ARGON2_* set the cost).`;

/** The first line of standard input, without its line end. */
async function readPasswordLine(input: AsyncIterable<Buffer | string>): Promise<string> {
  let text = "";
  for await (const chunk of input) {
    text += chunk.toString();
    if (text.includes("\n")) break;
  }
  return text.split(/\r?\n/)[0] ?? "";
}

export interface UsersIo {
  out: (line: string) => void;
  err: (line: string) => void;
  stdin: AsyncIterable<Buffer | string>;
}

/** One line per user for `ls`: what an operator checks at a glance. */
function describeUser(user: UserRecord): string {
  const permissions = Object.entries(user.permissions).map(([folder, granted]) => `${folder}=${granted.join(",")}`).join(" ") || "*";
  return [
    user.name,
    user.enabled,
    user.home,
    user.passwordHash ? "yes" : "no",
    user.certificates.length > 0 ? `${user.certificates.length} (${user.certificateLogin})` : "-",
    user.tlsRequired ? "required" : "optional",
    user.allowedAddresses.join(",") || "any",
    user.allowedPorts.join(",") || "any",
    permissions,
    user.quota ? `${user.quota.bytes ?? "-"} bytes, ${user.quota.files ?? "-"} files` : "-",
  ].join("\t");
}

/**
 * `wharf users ls|add|set|rm`: the users in the wharf_users bucket, which
 * every auth instance reads at each login (a change applies at once).
 */
export async function usersCommand(args: readonly string[], env: NodeJS.ProcessEnv, { out, err, stdin }: UsersIo): Promise<number> {
  const [sub, name, ...rest] = args;
  if (sub !== "ls" && sub !== "add" && sub !== "set" && sub !== "rm") {
    err(USAGE);
    return 2;
  }
  if (sub !== "ls" && (!name || name.startsWith("-"))) {
    err(`wharf users ${sub} needs a user name\n\n${USAGE}`);
    return 2;
  }
  if (name && !isValidUserName(name)) {
    err(`"${name}" cannot be a user name: 1-64 of A-Z a-z 0-9 . _ - (not starting with . _ -), and not "anonymous" or "ftp"`);
    return 2;
  }
  const flags = parseUserFlags(sub === "ls" || sub === "rm" ? [] : rest);
  if (typeof flags === "string") {
    err(`${flags}\n\n${USAGE}`);
    return 2;
  }
  let argon2: AuthConfig["argon2"];
  try {
    argon2 = parseConfig(AuthConfig, env).argon2;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err(error.message);
    return 78;
  }

  const nc = await connectForCli(env);
  try {
    // add, set and rm are audited: each write is a config.changed event, or the command fails (audit/audited-bucket.ts).
    const store = await openAuditedUserStore(nc, createConfigAudit(nc, env, `users ${sub}`, { replicas: cliReplicas(env) }), { replicas: cliReplicas(env) });
    if (sub === "ls") {
      out("NAME\tENABLED\tHOME\tPASSWORD\tCERTIFICATES\tTLS\tFROM\tPORTS\tPERMISSIONS\tQUOTA");
      for (const user of await store.names()) {
        const record = await store.get(user);
        out(record ? describeUser(record) : `${user}\t-\t(unreadable)`);
      }
      return 0;
    }
    const user = name as string;
    const existing = await store.get(user);
    if (sub === "rm") {
      if (!existing) {
        err(`no user "${user}"`);
        return 1;
      }
      await store.delete(user);
      out(`user ${user}: removed`);
      return 0;
    }
    if (sub === "add" && existing) {
      err(`user "${user}" exists; change it with "wharf users set ${user} …"`);
      return 1;
    }
    if (sub === "set" && !existing) {
      err(`no user "${user}"; add it with "wharf users add ${user}"`);
      return 1;
    }
    let password: string | undefined;
    if (flags.passwordFromStdin) {
      password = await readPasswordLine(stdin);
      if (password.length < 8) {
        err("the password must have at least 8 characters; nothing was changed");
        return 1;
      }
    }
    const generated = sub === "add" && password === undefined && !flags.removePassword ? randomBytes(18).toString("base64url") : undefined;
    const newPassword = password ?? generated;
    const candidate: UserRecordInput = { ...(existing ?? { name: user, home: user }), ...flags.changes, name: user };
    if (newPassword !== undefined) candidate.passwordHash = await hashPassword(newPassword, argon2);
    if (flags.removePassword) delete candidate.passwordHash;
    if (flags.removeQuota) delete candidate.quota;
    const parsed = UserRecord.safeParse(candidate);
    if (!parsed.success) {
      err(`user ${user} not ${sub === "add" ? "added" : "changed"}:`);
      for (const problem of describeIssues(parsed.error)) err(`  ${problem}`);
      return 1;
    }
    const record = parsed.data;
    if (!record.passwordHash && !(record.certificates.length > 0 && record.certificateLogin === "cert-only")) {
      out(`note: user ${user} has no password and no cert-only certificate, so cannot log in`);
    }
    await store.put(record);
    out(`user ${user}: ${sub === "add" ? "added" : "updated"} (enabled: ${record.enabled}, home: ${record.home}${newPassword !== undefined ? ", new password" : ""})`);
    if (generated) out(`password: ${generated}   (shown once; it is stored only as an argon2id hash)`);
    return 0;
  } finally {
    await nc.close();
  }
}
