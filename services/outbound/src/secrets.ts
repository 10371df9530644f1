import { readFile } from "node:fs/promises";
import { buckets, type EndpointConfig, type SecretRef, WharfError } from "@wharf/contracts";
import { type Keyring, open, secretPlace } from "@wharf/secrets";

/** Where outbound's secrets come from: its keyring for sealed ones (WHARF_SECRETS_KEY_FILE), its environment for `env` references. */
export interface SecretSource {
  keyring: Keyring | undefined;
  env: NodeJS.ProcessEnv;
}

/** The fields of an endpoint that hold secrets, named as their place in the bucket. */
export type EndpointSecretField = "password" | "clientCertificate.key";

/**
 * Reads one of an endpoint's secrets (DESIGN.md §6): a sealed one opened with
 * the keyring, where it was sealed (its endpoint and field), an environment
 * variable of this process, or a file (a trailing newline is not part of it).
 * The value is never logged. A missing reference is a WharfError that names
 * it; a sealed secret that does not open (no keyring, a key the keyring lacks,
 * sealed for another place) is a SecretsError that says which.
 */
export async function readSecret(ref: SecretRef, where: { endpoint: EndpointConfig; field: EndpointSecretField }, { keyring, env }: SecretSource): Promise<string> {
  if (ref.sealed !== undefined) return open(keyring, ref.sealed, secretPlace(buckets.endpoints, where.endpoint.name, where.field));
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
