import { posix } from "node:path";

/**
 * What a user may do in a folder (SFTPGo's per-folder permissions, named the
 * way partners' contracts name them). "*" grants all of them.
 */
export const PERMISSIONS = ["list", "read", "write", "overwrite", "delete", "mkdir", "rename"] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface FolderRule {
  /** An absolute virtual path: "/" or "/outbox" (no trailing slash). */
  path: string;
  /** Permission names, or "*". */
  permissions: readonly string[];
}

/** "/in/" and "in" become "/in"; "/" stays "/". */
export function normalizeFolder(path: string): string {
  const normalized = posix.normalize(`/${path}`);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

/** Whether `folder` is `path` or one of its ancestors. */
function contains(folder: string, path: string): boolean {
  return folder === "/" || path === folder || path.startsWith(`${folder}/`);
}

/**
 * Whether a rule sits at `folder` or below it. Moving such a folder would
 * move its contents out from under their rules (or bring them under others'),
 * so it is refused.
 */
export function hasRulesWithin(rules: readonly FolderRule[], folder: string): boolean {
  return rules.some((rule) => rule.path === folder || (folder !== "/" && rule.path.startsWith(`${folder}/`)) || folder === "/");
}

/**
 * Whether `need` is granted at `path`: the rule of the deepest folder that
 * contains the path decides alone (a deeper rule can take permissions away as
 * well as add them). No rules at all means everything is allowed; rules that
 * cover no folder above the path grant nothing.
 *
 * `list` and `read` are checked on the path itself; the changes (write,
 * overwrite, delete, mkdir, rename) on the folder the entry is in, since they
 * change that folder.
 */
export function permits(rules: readonly FolderRule[], path: string, need: Permission): boolean {
  if (rules.length === 0) return true;
  const target = need === "list" || need === "read" ? path : posix.dirname(path);
  let best: FolderRule | undefined;
  for (const rule of rules) {
    if (contains(rule.path, target) && (!best || rule.path.length > best.path.length)) best = rule;
  }
  return best !== undefined && (best.permissions.includes("*") || best.permissions.includes(need));
}
