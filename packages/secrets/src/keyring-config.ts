import { readFile } from "node:fs/promises";
import { ConfigError, filePath } from "@wharf/config";
import { z } from "zod";
import { Keyring, keysOfFile, keysOfList } from "./keyring.js";

/**
 * The variables that give a process its secrets keyring, for the config
 * schemas of the processes that seal or open secrets (outbound, the CLI).
 * The list's shape is checked here; the file is read by loadKeyring.
 */
export const secretsEnv = {
  // A file of base64 32-byte keys, one a line, the current one first, older ones after it (docs/secrets.md).
  WHARF_SECRETS_KEY_FILE: filePath.optional(),
  // The same keys separated by commas, where a file is awkward; prefer the file (environments leak into process listings and crash dumps).
  WHARF_SECRETS_KEY: z
    .string()
    .superRefine((value, context) => {
      for (const problem of keysOfList(value).problems) context.addIssue({ code: "custom", message: problem });
    })
    .optional(),
};

/** Where a process's keyring comes from, as its config gives it. */
export interface SecretsSettings {
  keyFile: string | undefined;
  keys: string | undefined;
}

export function secretsSettings(env: { WHARF_SECRETS_KEY_FILE?: string | undefined; WHARF_SECRETS_KEY?: string | undefined }): SecretsSettings {
  return { keyFile: env.WHARF_SECRETS_KEY_FILE, keys: env.WHARF_SECRETS_KEY };
}

/**
 * The keyring the settings give, or undefined when they give none (sealed
 * secrets then cannot be opened, and say so where they are used). A file that
 * cannot be read or holds a bad key, or both variables at once, is a
 * ConfigError naming the variable and the line.
 */
export async function loadKeyring({ keyFile, keys }: SecretsSettings): Promise<Keyring | undefined> {
  if (keyFile !== undefined && keys !== undefined) {
    throw new ConfigError(["WHARF_SECRETS_KEY_FILE: give it or WHARF_SECRETS_KEY, not both"]);
  }
  if (keys !== undefined) {
    const decoded = keysOfList(keys);
    if (decoded.problems.length > 0) throw new ConfigError(decoded.problems.map((problem) => `WHARF_SECRETS_KEY: ${problem} (value hidden)`));
    return new Keyring(decoded.keys);
  }
  if (keyFile === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(keyFile, "utf8");
  } catch (error) {
    throw new ConfigError([`WHARF_SECRETS_KEY_FILE: cannot read ${keyFile} (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  const decoded = keysOfFile(text);
  if (decoded.problems.length > 0) throw new ConfigError(decoded.problems.map((problem) => `WHARF_SECRETS_KEY_FILE: ${keyFile}: ${problem}`));
  return new Keyring(decoded.keys);
}
