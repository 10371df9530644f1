import { readFile } from "node:fs/promises";
import { type SecretRef, WharfError } from "@wharf/contracts";

/**
 * Reads a secret given by reference (DESIGN.md §6): an environment variable
 * of this process, or a file (a trailing newline is not part of it). The
 * value is never logged; a missing one is an error that names the reference.
 */
export async function readSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (ref.env !== undefined) {
    const value = env[ref.env];
    if (value === undefined || value === "") throw new WharfError("WHARF_INVALID_ARGUMENT", `the secret's environment variable ${ref.env} is not set`);
    return value;
  }
  try {
    return (await readFile(ref.file as string, "utf8")).replace(/\r?\n$/, "");
  } catch (error) {
    throw new WharfError("WHARF_INVALID_ARGUMENT", `the secret's file ${ref.file} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`, { cause: error });
  }
}
