import { setTimeout as delay } from "node:timers/promises";
import { WharfError } from "@wharf/contracts";
import type { FtpSession } from "./session.js";

/**
 * A refused login: answered only after the port's delay (good logins are not
 * delayed), and after the port's limit of failures the connection gets 421
 * and is closed (RFC 2577 §5).
 */
export async function refuseLogin(session: FtpSession, text = "Login incorrect."): Promise<void> {
  session.failedLogins += 1;
  await delay(session.settings.failedLoginDelayMs);
  if (session.failedLogins >= session.settings.maxLoginAttempts) return session.closeWith(421, "Too many failed logins; closing.", "too_many_logins");
  session.reply(530, text);
}

/**
 * Asks auth about a login: at PASS with the password, or at USER (no
 * password) when the session has a verified client certificate, which logs a
 * cert-only user in at once with 232 (RFC 2228: logged in, authorized by
 * security data exchange) and otherwise asks for the password with 331. A
 * session whose certificate the TLS layer refused is always refused; auth
 * is still asked, so the refusal is an event and counts for the defender.
 */
export async function attemptLogin(session: FtpSession, username: string, password: string | undefined): Promise<void> {
  const { metrics, auth } = session.deps;
  const { settings } = session;
  const mapsCertificates = settings.certificateMapping && settings.clientAuth !== "password";
  try {
    const result = await auth.login({
      username,
      password,
      remoteAddress: session.remoteAddress,
      sessionId: session.id,
      portAlias: session.portAlias,
      clientCertificate: mapsCertificates ? session.clientCertificate : undefined,
      tls: session.secure,
      certificateRequired: mapsCertificates && settings.clientAuth === "require",
      certificateProblem: session.certificateRefusal,
    });
    if (session.isClosed) return;
    // Closed, not open: whatever auth said, a refused certificate never logs in.
    if (session.certificateRefusal) throw new WharfError("WHARF_AUTH_INVALID_CREDENTIALS", "client certificate refused");
    if (result.kind === "password required") {
      session.pendingUser = username;
      return session.reply(331, "Please specify the password.");
    }
    if (!(await session.claimUserSession(result.user))) {
      // ProFTPD's MaxClientsPerUser and SFTPGo's max_sessions refuse at login; 421 (not 530) because the
      // credentials were right: a client may try again once one of the user's other sessions has ended.
      metrics.logins.inc({ port: session.portAlias, result: "too_many_sessions" });
      session.log.info({ user: username, limit: result.user.maxSessions }, "login refused: the user has every session they may have");
      return session.closeWith(421, "Too many sessions for this user; try again later.", "too_many_sessions");
    }
    if (session.isClosed) return;
    session.loggedIn(result.user, result.grant);
    metrics.logins.inc({ port: session.portAlias, result: "ok" });
    session.log.info({ method: result.user.method }, "login ok");
    if (result.user.method === "cert") session.reply(232, "User logged in, authorized by client certificate.");
    else session.reply(230, "Login successful.");
  } catch (error) {
    const refused = error instanceof WharfError && error.code === "WHARF_AUTH_INVALID_CREDENTIALS";
    metrics.logins.inc({ port: session.portAlias, result: refused ? "refused" : "error" });
    if (!refused) {
      session.log.error({ err: error }, "login could not be checked");
      return session.closeWith(421, "Service not available, closing control connection.", "auth_unavailable");
    }
    session.log.info({ user: username, attempt: session.failedLogins + 1, certificate: session.certificateRefusal }, "login refused");
    await refuseLogin(session, session.certificateRefusal ? "A valid client certificate is required." : "Login incorrect.");
  }
}
