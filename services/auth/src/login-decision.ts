import { cidrMatcher, type LoginMethod, type LoginRefusal, type UserRecord } from "@wharf/contracts";
import { type CertificateFacts, ruleMatches } from "./certificate-identity.js";

/** What a login attempt brings, as auth sees it. */
export interface LoginAttemptFacts {
  remoteAddress: string;
  portAlias: string;
  tls: boolean;
  /** The verified client certificate, if the port asked for one and the client gave it. */
  certificate: CertificateFacts | undefined;
  /** The port does not let anyone in without a certificate. */
  certificateRequired: boolean;
}

/** The certificate step: which user, if any, the client certificate speaks for. */
export type CertificateVerdict =
  | { kind: "none" }
  | { kind: "matches" }
  | { kind: "refused"; reason: LoginRefusal };

/**
 * Decides what a certificate says about the named user. `otherOwners` are the
 * other users whose rules match it. Never a guess: a NUL in a name, or a
 * certificate that two users claim, maps to no one; a certificate that speaks
 * for another user (or not for a user who listed certificates) is a refusal,
 * not a fallback to the password. A user who lists certificates logs in only
 * with one of them, on a port that asks for it.
 */
export function judgeCertificate(user: UserRecord | undefined, attempt: LoginAttemptFacts, otherOwners: readonly string[]): CertificateVerdict {
  const { certificate } = attempt;
  if (!certificate) {
    return attempt.certificateRequired || (user?.certificates.length ?? 0) > 0 ? { kind: "refused", reason: "certificate required" } : { kind: "none" };
  }
  if (certificate.hasNul) return { kind: "refused", reason: "certificate has an embedded NUL" };
  const matchesUser = user?.certificates.some((rule) => ruleMatches(rule, certificate)) === true;
  if (otherOwners.length + (matchesUser ? 1 : 0) > 1) return { kind: "refused", reason: "ambiguous certificate mapping" };
  if (matchesUser) return { kind: "matches" };
  // Speaks for someone else, or the user named listed certificates and this is none of them, or the port needs one.
  if (otherOwners.length === 1 || (user?.certificates.length ?? 0) > 0 || attempt.certificateRequired) {
    return { kind: "refused", reason: "certificate does not match user" };
  }
  return { kind: "none" }; // "request" port, a certificate that maps to no one, a password user: the password decides
}

/**
 * The user's own rules, checked after the credentials were proved (so they
 * reveal nothing to someone who has not got them): enabled, source address,
 * port, TLS.
 */
export function userRuleRefusal(user: UserRecord, attempt: LoginAttemptFacts): LoginRefusal | undefined {
  if (!user.enabled) return "disabled";
  if (user.allowedAddresses.length > 0 && !cidrMatcher(user.allowedAddresses)(attempt.remoteAddress)) return "address not allowed";
  if (user.allowedPorts.length > 0 && !user.allowedPorts.includes(attempt.portAlias)) return "port not allowed";
  if (user.tlsRequired && !attempt.tls) return "tls required";
  return undefined;
}

/** The method a login used, for events and metrics. */
export function methodOf(certificate: CertificateVerdict, usedPassword: boolean): LoginMethod {
  if (certificate.kind !== "matches") return "password";
  return usedPassword ? "cert+password" : "cert";
}
