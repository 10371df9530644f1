import { randomBytes } from "node:crypto";
import { AuthConfig, createUserStore, hashPassword, isValidUserName, type UserRecord } from "@wharf/auth";
import { ConfigError, parseConfig } from "@wharf/config";
import { connectForCli } from "../ports/apply.js";

const USAGE = `usage:
  wharf users ls
  wharf users add NAME [--home FOLDER] [--disabled] [--password-stdin]
  wharf users set NAME [--home FOLDER] [--enable | --disable] [--password-stdin]
  wharf users rm NAME

--password-stdin reads the password from the first line of standard input. Without it, "add" makes a
random password and prints it once. Passwords are stored only as argon2id hashes (WHARF_ARGON2_* set the cost).`;

const HOME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface Options {
  home?: string;
  enabled?: boolean;
  passwordFromStdin: boolean;
}

/** Parses the flags after the user name; a message a person can act on when they are wrong. */
function parseOptions(args: readonly string[]): Options | string {
  const options: Options = { passwordFromStdin: false };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === "--home") {
      const home = args[++i];
      if (!home || !HOME.test(home)) return "--home needs a folder name: 1-128 of A-Z a-z 0-9 . _ - (not starting with . _ -)";
      options.home = home;
    } else if (flag === "--disabled" || flag === "--disable") options.enabled = false;
    else if (flag === "--enable") options.enabled = true;
    else if (flag === "--password-stdin") options.passwordFromStdin = true;
    else return `unknown option "${flag}"`;
  }
  return options;
}

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
  const options = parseOptions(sub === "ls" || sub === "rm" ? [] : rest);
  if (typeof options === "string") {
    err(`${options}\n\n${USAGE}`);
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
    const store = await createUserStore(nc);
    if (sub === "ls") {
      out("NAME\tENABLED\tHOME");
      for (const user of await store.names()) {
        const record = await store.get(user);
        out(record ? `${record.name}\t${record.enabled}\t${record.home}` : `${user}\t-\t(unreadable)`);
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
    if (options.passwordFromStdin) {
      password = await readPasswordLine(stdin);
      if (password.length < 8) {
        err("the password must have at least 8 characters; nothing was changed");
        return 1;
      }
    }
    const generated = sub === "add" && password === undefined ? randomBytes(18).toString("base64url") : undefined;
    const newPassword = password ?? generated;
    const record: UserRecord = {
      name: user,
      passwordHash: newPassword !== undefined ? await hashPassword(newPassword, argon2) : (existing as UserRecord).passwordHash,
      enabled: options.enabled ?? existing?.enabled ?? true,
      home: options.home ?? existing?.home ?? user,
    };
    await store.put(record);
    out(`user ${user}: ${sub === "add" ? "added" : "updated"} (enabled: ${record.enabled}, home: ${record.home}${newPassword !== undefined ? ", new password" : ""})`);
    if (generated) out(`password: ${generated}   (shown once; it is stored only as an argon2id hash)`);
    return 0;
  } finally {
    await nc.close();
  }
}
