import { ConfigError, parseConfig } from "@wharf/config";
import { type Keyring, loadKeyring, secretsEnv, secretsSettings } from "@wharf/secrets";
import { z } from "zod";

const CliSecretsConfig = z.object(secretsEnv).transform(secretsSettings);

/**
 * The CLI's secrets keyring, from the same variables as outbound's
 * (WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY); undefined when neither is
 * set. A bad one is printed, variable by variable, and gives exit status 78
 * (EX_CONFIG) as a service's bad configuration does.
 */
export async function cliKeyring(env: NodeJS.ProcessEnv, err: (line: string) => void): Promise<{ ok: true; keyring: Keyring | undefined } | { ok: false; code: number }> {
  try {
    return { ok: true, keyring: await loadKeyring(parseConfig(CliSecretsConfig, env)) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err(error.message);
    return { ok: false, code: 78 };
  }
}

/** How a keyring is described to an operator: key ids only, the current one marked. */
export function describeKeyring(keyring: Keyring | undefined): string {
  if (!keyring) return "no keyring (set WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY)";
  return keyring.ids.map((id) => (id === keyring.current ? `${id} (current)` : id)).join(", ");
}
