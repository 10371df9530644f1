import { buckets, EndpointConfig, type EndpointFileConfig, isSealedPlaceholder, type SealedSecret, type SecretInput, type SecretRef, sealedPlaceholder } from "@wharf/contracts";
import { type Keyring, open, seal, secretPlace } from "@wharf/secrets";

/** The fields of an endpoint that hold secrets, named as their place in the bucket (what the sealing binds them to). */
export const ENDPOINT_SECRET_FIELDS = ["password", "clientCertificate.key"] as const;
export type EndpointSecretField = (typeof ENDPOINT_SECRET_FIELDS)[number];

type WithSecrets<S> = { password?: S | undefined; clientCertificate?: { key?: S | undefined } | undefined };

export function secretAt<S>(endpoint: WithSecrets<S> | undefined, field: EndpointSecretField): S | undefined {
  return field === "password" ? endpoint?.password : endpoint?.clientCertificate?.key;
}

/** A copy of the endpoint with another secret at the field. */
export function withSecretAt<E extends WithSecrets<unknown>>(endpoint: E, field: EndpointSecretField, secret: unknown): E {
  if (field === "password") return { ...endpoint, password: secret };
  return { ...endpoint, clientCertificate: { ...endpoint.clientCertificate, key: secret } };
}

/** Where an endpoint's secret lives: what its sealing is bound to (wharf_endpoints/NAME/FIELD). */
export function endpointSecretPlace(name: string, field: EndpointSecretField): string {
  return secretPlace(buckets.endpoints, name, field);
}

/**
 * The endpoints of a configuration file as the bucket is to hold them: each
 * `value` sealed under the keyring's current key, each `"<sealed: KEY ID>"`
 * placeholder replaced by the secret stored at that place. A value equal to
 * the one stored (and under the current key) keeps the stored sealing, so a
 * file applied twice changes nothing. Every problem is listed with its place
 * in the file; nothing is sealed for a file that has one.
 */
export function sealEndpoints(
  endpoints: readonly EndpointFileConfig[],
  stored: ReadonlyMap<string, EndpointConfig>,
  keyring: Keyring | undefined,
): { ok: true; endpoints: EndpointConfig[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const sealed = endpoints.map((endpoint, index) => {
    let result: WithSecrets<unknown> = endpoint;
    for (const field of ENDPOINT_SECRET_FIELDS) {
      const given = secretAt<SecretInput>(endpoint, field);
      if (given === undefined) continue;
      const where = `endpoints[${index}].${field}`;
      const before = secretAt<SecretRef>(stored.get(endpoint.name), field)?.sealed;
      if (isSealedPlaceholder(given)) {
        if (before) result = withSecretAt(result, field, { sealed: before });
        else problems.push(`${where}: "${given}" keeps the sealed secret stored there, and endpoint ${endpoint.name} has none; give it as { value: ... }`);
        continue;
      }
      if (given.value === undefined) {
        result = withSecretAt(result, field, given);
        continue;
      }
      if (!keyring) {
        problems.push(`${where}: a value is sealed before it is stored, and no keyring is configured: set WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY (docs/secrets.md)`);
        continue;
      }
      const place = endpointSecretPlace(endpoint.name, field);
      const unchanged = before !== undefined && before.kid === keyring.current && opensTo(keyring, before, place, given.value);
      result = withSecretAt(result, field, { sealed: unchanged ? before : seal(keyring, given.value, place) });
    }
    return result;
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, endpoints: sealed.map((endpoint) => EndpointConfig.parse(endpoint)) };
}

function opensTo(keyring: Keyring, sealed: SealedSecret, place: string, value: string): boolean {
  try {
    return open(keyring, sealed, place) === value;
  } catch {
    return false;
  }
}

/** The endpoint as a configuration file shows it: sealed secrets as their placeholder, references as they are. */
export function withPlaceholders(endpoint: EndpointConfig): EndpointFileConfig {
  let shown: WithSecrets<unknown> = endpoint;
  for (const field of ENDPOINT_SECRET_FIELDS) {
    const sealed = secretAt<SecretRef>(endpoint, field)?.sealed;
    if (sealed) shown = withSecretAt(shown, field, sealedPlaceholder(sealed.kid));
  }
  return shown as EndpointFileConfig;
}

/** How a secret is shown in a listing: its reference, or the key it is sealed with; never its value. */
export function describeSecret(secret: SecretRef | undefined): string {
  if (!secret) return "-";
  if (secret.sealed) return `sealed (key ${secret.sealed.kid})`;
  return secret.env !== undefined ? `env:${secret.env}` : `file:${secret.file}`;
}
