import { posix } from "node:path";

/**
 * Resolves a client's path argument against the session's folder into an
 * absolute virtual path. ".." never climbs above "/": the user's root is the
 * top of their world, as under vsftpd's chroot (CWD ../../.. leaves PWD at "/").
 */
export function resolveVirtualPath(cwd: string, argument: string): string {
  const joined = argument.startsWith("/") ? argument : `${cwd}/${argument}`;
  const parts: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return posix.join("/", ...parts);
}
