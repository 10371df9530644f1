import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { WharfError } from "./errors.js";

/**
 * A session grant (issue 9): auth's signed statement that a partner logged in as `user`, whose files are the
 * storage root `root`, until `expiresAt`. The listener sends it with every storage call it makes for that
 * session, and storage acts only on that root. So a process holding the listener's client certificate still
 * cannot read or change a partner's files unless auth has logged that partner in: the certificate says "I am
 * a listener", the grant says "for this partner, now".
 */
export interface SessionGrant {
  user: string;
  root: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** The gRPC metadata key that carries a session's grant. */
export const GRANT_METADATA_KEY = "wharf-grant";

/** A grant lasts this long: longer than any FTP session should (idle timeouts end them sooner); a longer one logs in again. */
export const GRANT_LIFETIME_MS = 12 * 3_600_000;

const encode = (bytes: Buffer) => bytes.toString("base64url");

/** Ed25519 keys from PEM text: auth's private key, storage's public key (`wharf certs init` makes both). */
export const grantSigningKey = (pem: string): KeyObject => createPrivateKey(pem);
export const grantVerifyingKey = (pem: string): KeyObject => createPublicKey(pem);

/** `<payload>.<signature>`, both base64url; the payload is the grant as JSON. */
export function signGrant(key: KeyObject, grant: SessionGrant): string {
  const payload = Buffer.from(JSON.stringify({ u: grant.user, r: grant.root, e: grant.expiresAt }));
  return `${encode(payload)}.${encode(sign(null, payload, key))}`;
}

/**
 * When a grant ends, read without checking its signature: for the listener, which holds the grant only to
 * pass it on, to end a session in good order when storage would start refusing it. Undefined if unreadable.
 */
export function grantExpiry(token: string): number | undefined {
  try {
    const body = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as { e?: unknown };
    return typeof body.e === "number" ? body.e : undefined;
  } catch {
    return undefined;
  }
}

export type GrantVerifier = (token: string | undefined) => SessionGrant;

/**
 * Checks a grant's signature and expiry; refuses with WHARF_PERMISSION_DENIED and the reason. A session sends
 * the same grant with every call: each token's signature is checked once and remembered (a bounded cache),
 * its expiry every time.
 */
export function createGrantVerifier(key: KeyObject, { now = Date.now, cacheSize = 10_000 }: { now?: () => number; cacheSize?: number } = {}): GrantVerifier {
  const verified = new Map<string, SessionGrant>();
  return (token) => {
    if (!token) throw new WharfError("WHARF_PERMISSION_DENIED", "no session grant: storage acts for a partner only with auth's grant for the session");
    let grant = verified.get(token);
    if (!grant) {
      const [payloadText, signatureText, extra] = token.split(".");
      const payload = Buffer.from(payloadText ?? "", "base64url");
      const signature = Buffer.from(signatureText ?? "", "base64url");
      if (extra !== undefined || payload.length === 0 || signature.length !== 64 || !verify(null, payload, key, signature)) {
        throw new WharfError("WHARF_PERMISSION_DENIED", "the session grant is not signed by auth");
      }
      const body = JSON.parse(payload.toString("utf8")) as { u?: unknown; r?: unknown; e?: unknown };
      if (typeof body.u !== "string" || typeof body.r !== "string" || typeof body.e !== "number") throw new WharfError("WHARF_PERMISSION_DENIED", "the session grant is malformed");
      grant = { user: body.u, root: body.r, expiresAt: body.e };
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value as string);
      verified.set(token, grant);
    }
    if (grant.expiresAt <= now()) {
      verified.delete(token);
      throw new WharfError("WHARF_PERMISSION_DENIED", "the session grant has expired: log in again");
    }
    return grant;
  };
}
