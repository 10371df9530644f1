import { setTimeout as delay } from "node:timers/promises";
import { WharfError } from "@wharf/contracts";
import type { Command } from "./command.js";

/**
 * PASS. The check is auth's, over NATS. A refusal is answered only after a
 * delay (good logins are not delayed), and after the port's limit of failures
 * the connection gets 421 and is closed (RFC 2577 §5).
 */
export const pass: Command = {
  verb: "PASS",
  beforeLogin: true,
  syntax: "PASS <sp> password",
  async run(session, password) {
    if (session.user) return session.reply(503, "Already logged in.");
    const username = session.pendingUser;
    if (username === undefined) return session.reply(503, "Login with USER first.");
    session.pendingUser = undefined;
    const { metrics, auth } = session.deps;
    try {
      const user = await auth.login({ username, password, remoteAddress: session.remoteAddress, sessionId: session.id, portAlias: session.portAlias });
      if (session.isClosed) return;
      session.loggedIn(user);
      metrics.logins.inc({ port: session.portAlias, result: "ok" });
      session.log.info("login ok");
      session.reply(230, "Login successful.");
    } catch (error) {
      const refused = error instanceof WharfError && error.code === "WHARF_AUTH_INVALID_CREDENTIALS";
      metrics.logins.inc({ port: session.portAlias, result: refused ? "refused" : "error" });
      if (!refused) {
        session.log.error({ err: error }, "login could not be checked");
        return session.closeWith(421, "Service not available, closing control connection.");
      }
      session.failedLogins += 1;
      session.log.info({ user: username, attempt: session.failedLogins }, "login refused");
      await delay(session.settings.failedLoginDelayMs);
      if (session.failedLogins >= session.settings.maxLoginAttempts) {
        return session.closeWith(421, "Too many failed logins; closing.");
      }
      session.reply(530, "Login incorrect.");
    }
  },
};
