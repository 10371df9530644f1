import type { Command } from "./command.js";

/**
 * USER. On a secure-clients-only port a USER before AUTH TLS is refused with
 * 530 (as vsftpd's force_local_logins_ssl), so no credential is ever sent in
 * the clear. Any name gets 331: whether a user exists is not revealed here.
 */
export const user: Command = {
  verb: "USER",
  beforeLogin: true,
  syntax: "USER <sp> username",
  run(session, name) {
    if (session.settings.secureClientsOnly && !session.secure) {
      return session.reply(530, "Non-anonymous sessions must use encryption.");
    }
    if (session.user) return session.reply(530, "Can't change to another user.");
    if (!name) return session.reply(501, "USER needs a user name.");
    session.pendingUser = name;
    session.reply(331, "Please specify the password.");
  },
};
