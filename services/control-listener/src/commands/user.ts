import { attemptLogin } from "../login.js";
import type { Command } from "./command.js";

/**
 * USER. On a secure-clients-only port a USER before AUTH TLS is refused with
 * 530 (as vsftpd's force_local_logins_ssl), so no credential is ever sent in
 * the clear. A session whose client certificate failed (or that has none on
 * a port that requires one) is refused here, whatever the password would be.
 * With a verified certificate auth is asked at once (a cert-only user is in
 * with 232); otherwise any name gets 331: whether a user exists is not
 * revealed here.
 */
export const user: Command = {
  verb: "USER",
  beforeLogin: true,
  syntax: "USER <sp> username",
  async run(session, name) {
    if (session.settings.secureClientsOnly && !session.secure) {
      return session.reply(530, "Non-anonymous sessions must use encryption.");
    }
    if (session.user) return session.reply(530, "Can't change to another user.");
    if (!name) return session.reply(501, "USER needs a user name.");
    // Auth answers both: a refused certificate (always refused, but recorded there) and a mapped one.
    if (session.certificateRefusal || (session.clientCertificate && session.settings.certificateMapping)) return attemptLogin(session, name, undefined);
    session.pendingUser = name;
    session.reply(331, "Please specify the password.");
  },
};
