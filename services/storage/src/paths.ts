import { realpath } from "node:fs/promises";
import { join, posix, sep } from "node:path";
import { WharfError } from "@wharf/contracts";

/** Longest name of one path component, in bytes (the common filesystem limit). */
export const MAX_NAME_BYTES = 255;
/** Longest virtual path, in bytes. */
export const MAX_PATH_BYTES = 4096;

const ROOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const invalid = (message: string) => new WharfError("WHARF_INVALID_PATH", message);

/**
 * Checks a virtual path from a client and returns it normalized ("/a/b").
 * The listener already resolves "." and ".." against the session's folder, so
 * a ".." that reaches storage is hostile and refused, never clamped.
 */
export function normalizeVirtualPath(path: string): string {
  if (!path.startsWith("/")) throw invalid("path must be absolute");
  if (path.includes("\0")) throw invalid("path contains a NUL byte");
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw invalid("path is too long");
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  for (const part of parts) {
    if (part === "..") throw invalid("path leaves its root");
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) throw invalid("file name is too long");
  }
  return posix.join("/", ...parts);
}

/** Checks a root's name (a user's home): letters, digits, `.`, `_`, `-`. */
export function checkRootName(root: string): string {
  if (!ROOT_NAME.test(root)) throw invalid("bad root name");
  return root;
}

/** The folder of a root (a user's home) under the files folder. */
export function rootFolder(filesDir: string, root: string): string {
  return join(filesDir, checkRootName(root));
}

/** The real path on disk of a virtual path inside a root folder (not yet checked for links). */
export function diskPath(rootDir: string, virtualPath: string): string {
  return join(rootDir, ...normalizeVirtualPath(virtualPath).split("/").filter(Boolean));
}

/**
 * Refuses a disk path whose existing part resolves (through symlinks) outside
 * the root folder. Missing trailing components are fine: they are about to be
 * created inside whatever their existing parent resolves to. `knownRealRoot`
 * is the root's own real path when the caller already has it.
 */
export async function assertInsideRoot(rootDir: string, target: string, knownRealRoot?: string): Promise<void> {
  const realRoot = knownRealRoot ?? (await realpath(rootDir));
  let probe = target;
  for (;;) {
    try {
      const real = await realpath(probe);
      if (real === realRoot || real.startsWith(realRoot + sep)) return;
      throw new WharfError("WHARF_PERMISSION_DENIED", "permission denied");
    } catch (error) {
      if (error instanceof WharfError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      const parent = join(probe, "..");
      if (parent === probe || probe === rootDir) throw error;
      probe = parent;
    }
  }
}
