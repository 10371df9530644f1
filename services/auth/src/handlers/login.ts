import { type KeyObject, randomUUID } from "node:crypto";
import { publishEvent } from "@wharf/bus";
import type { NatsConnection } from "@wharf/bus";
import { auth, eventTypes, GRANT_LIFETIME_MS, signGrant, type LoginEvent, type LoginMethod, type LoginRefusal, NO_CLIENT_CERTIFICATE, subjects, WharfError } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { Counter, Histogram } from "prom-client";
import { type CertificateFacts, certificateFacts } from "../certificate-identity.js";
import type { Defender } from "../defender.js";
import type { PortRoots } from "../port-roots.js";
import { judgeCertificate, type LoginAttemptFacts, methodOf, userRuleRefusal } from "../login-decision.js";
import { verifyPassword } from "../password-hash.js";
import type { UserRecord } from "@wharf/contracts";
import type { CertificateIndex, UserStore } from "../user-store.js";
import type { VerifiedPasswords } from "../verified-passwords.js";

export interface LoginDeps {
  store: UserStore;
  /** Every user's certificate rules, to find a certificate's other claimants. */
  certificates: CertificateIndex;
  log: Logger;
  /** Where login events go (the event stream). */
  nc: NatsConnection;
  logins: Counter<"method" | "result">;
  /** Time to answer a login, by result. */
  latency: Histogram<"result">;
  /** A hash of a random password, checked for unknown users so they cost the same time. */
  decoyHash: string;
  /** Recently verified passwords of known users (unknown users always pay the decoy's argon2id). */
  verified: VerifiedPasswords;
  /** Scores failures per source address and bans repeat offenders. */
  defender: Defender;
  bansIssued: Counter;
  /** Signs the session grant storage asks for (session-grant.ts); without it, logins carry none. */
  grantKey?: KeyObject | undefined;
  /** The root a session on a port works in (a port may give every user one shared root). */
  portRoots?: PortRoots | undefined;
  now?: () => number;
}

/** What the listener needs to run the session: the user's root, permissions and rate limits. */
function sessionUser(user: UserRecord, method: LoginMethod): auth.User {
  return {
    name: user.name,
    home: user.home,
    permissions: Object.entries(user.permissions).map(([path, permissions]) => ({ path, permissions })),
    uploadBytesPerSecond: user.uploadBytesPerSecond,
    downloadBytesPerSecond: user.downloadBytesPerSecond,
    method,
    quotaBytes: user.quota?.bytes ?? 0,
    quotaFiles: user.quota?.files ?? 0,
    maxSessions: user.maxSessions,
  };
}

/**
 * wharf.auth.v1.login: checks a login (a password, a mapped client
 * certificate, or both). An unknown user, a disabled user and a wrong password
 * are refused alike, and all three pay for one argon2 verification, so neither
 * the reply nor its timing tells them apart (only a recently verified right
 * password is answered from memory). A user's own rules (address, port, TLS)
 * are checked only once the credentials are proved.
 */
export function createLoginHandler({ store, certificates, log, nc, logins, latency, decoyHash, verified, defender, bansIssued, grantKey, portRoots, now = Date.now }: LoginDeps) {
  /**
   * The event goes out without holding up the answer (a stream that is slow or missing must not
   * stop logins); a failure to publish is logged.
   */
  const announce = (request: auth.LoginRequest, method: LoginMethod, reason?: LoginRefusal) => {
    const event: LoginEvent = {
      type: reason ? eventTypes.loginFailed : eventTypes.loginSucceeded,
      user: request.username,
      remoteAddress: request.remoteAddress,
      sessionId: request.sessionId,
      portAlias: request.portAlias,
      method,
      ...(reason ? { reason } : {}),
      at: new Date().toISOString(),
    };
    publishEvent(nc, reason ? subjects.loginFailed : subjects.loginSucceeded, event, { msgId: randomUUID() }).catch((error: unknown) =>
      log.warn({ err: String(error), user: request.username }, "login event not published"),
    );
  };
  return async (body: Uint8Array): Promise<Uint8Array> => {
    const stopTimer = latency.startTimer();
    const request = auth.LoginRequest.decode(body);
    const context = { user: request.username, remote: request.remoteAddress, sessionId: request.sessionId, port: request.portAlias };
    const refuse = async (reason: LoginRefusal, method: LoginMethod) => {
      logins.inc({ method, result: "refused" });
      stopTimer({ result: "refused" });
      log.info({ ...context, method, reason }, "login refused");
      announce(request, method, reason);
      if (reason !== "banned address") {
        const bannedUntil = await defender.recordFailure(request.remoteAddress).catch(() => undefined);
        if (bannedUntil) {
          bansIssued.inc();
          log.warn({ remote: request.remoteAddress, until: new Date(bannedUntil).toISOString() }, "address banned after repeated failed logins");
        }
      }
      return new WharfError("WHARF_AUTH_INVALID_CREDENTIALS", "login incorrect");
    };
    const accept = (user: UserRecord, method: LoginMethod) => {
      logins.inc({ method, result: "ok" });
      stopTimer({ result: "ok" });
      log.info({ ...context, method }, "login accepted");
      announce(request, method);
      const root = portRoots?.rootFor(request.portAlias, user.home) ?? user.home;
      const grant = grantKey ? signGrant(grantKey, { user: user.name, root, expiresAt: now() + GRANT_LIFETIME_MS }) : "";
      return auth.LoginResponse.encode({ ok: true, user: sessionUser(user, method), passwordRequired: false, grant }).finish();
    };
    const offered: LoginMethod = request.clientCertificate.length > 0 ? (request.withoutPassword ? "cert" : "cert+password") : "password";
    // A banned address is refused like any failed login (the listener already closes its new connections).
    if (defender.isBanned(request.remoteAddress)) throw await refuse("banned address", offered);
    if (request.certificateProblem) {
      log.info({ ...context, problem: request.certificateProblem }, "client certificate refused by the listener");
      throw await refuse(request.certificateProblem === NO_CLIENT_CERTIFICATE ? "certificate required" : "certificate not trusted", "cert");
    }

    let certificate: CertificateFacts | undefined;
    if (request.clientCertificate.length > 0) {
      try {
        certificate = certificateFacts(request.clientCertificate);
      } catch {
        throw await refuse("certificate not trusted", offered);
      }
    }
    const attempt: LoginAttemptFacts = {
      remoteAddress: request.remoteAddress,
      portAlias: request.portAlias,
      tls: request.tls,
      certificate,
      certificateRequired: request.certificateRequired,
    };
    const user = await store.get(request.username);
    const otherOwners = certificate ? certificates.owners(certificate).filter((name) => name !== request.username) : [];
    const verdict = judgeCertificate(user, attempt, otherOwners);
    // A refusal that tells who has certificates is given only at PASS, after an argon2id like any
    // other: at USER everyone but a cert-only user with the right certificate hears "password please".
    if (verdict.kind === "refused" && !request.withoutPassword) {
      if (certificate) log.info({ ...context, subject: certificate.subjectText, fingerprint: certificate.fingerprint }, "client certificate refused");
      await verifyPassword(request.password, decoyHash);
      throw await refuse(verdict.reason, offered);
    }
    if (user && verdict.kind === "matches" && user.certificateLogin === "cert-only") {
      const ruleRefusal = userRuleRefusal(user, attempt);
      if (ruleRefusal) throw await refuse(ruleRefusal, "cert");
      return accept(user, "cert");
    }
    // At USER with a certificate that does not log in alone: go on to PASS (nothing is decided yet).
    if (request.withoutPassword) return auth.LoginResponse.encode({ ok: false, user: undefined, passwordRequired: true, grant: "" }).finish();

    const method = methodOf(verdict, true);
    // Only enabled users with a password are answered from the cache; the others always pay argon2id, like unknown ones.
    const matches =
      user?.enabled && user.passwordHash
        ? await verified.verify(user.name, user.passwordHash, request.password)
        : await verifyPassword(request.password, user?.passwordHash ?? decoyHash);
    if (!user) throw await refuse("unknown user", method);
    if (!user.enabled) throw await refuse("disabled", method);
    if (!user.passwordHash) throw await refuse("no password set", method);
    if (!matches) throw await refuse("wrong password", method);
    const ruleRefusal = userRuleRefusal(user, attempt);
    if (ruleRefusal) {
      // The password was right, maybe answered from memory: refuse in the time a wrong one takes.
      await verifyPassword(request.password, decoyHash);
      throw await refuse(ruleRefusal, method);
    }
    return accept(user, method);
  };
}
