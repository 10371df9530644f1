import type { Command } from "./command.js";

/** PBSZ (RFC 2228; RFC 4217 §9: with TLS the only buffer size is 0). */
export const pbsz: Command = {
  verb: "PBSZ",
  beforeLogin: true,
  syntax: "PBSZ <sp> 0",
  run(session, size) {
    if (!session.secure) return session.reply(503, "PBSZ needs a secure control connection (AUTH TLS first).");
    if (!/^\d{1,10}$/.test(size.trim())) return session.reply(501, "PBSZ needs a number.");
    session.pbszDone = true;
    session.reply(200, "PBSZ=0");
  },
};
