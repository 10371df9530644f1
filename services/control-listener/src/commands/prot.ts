import type { Command } from "./command.js";

/**
 * PROT (RFC 2228, RFC 4217 §9). C is clear, P is private; S and E have no
 * meaning with TLS (536). A port that requires protected data refuses C with 534.
 */
export const prot: Command = {
  verb: "PROT",
  beforeLogin: true,
  syntax: "PROT <sp> C|P",
  run(session, argument) {
    if (!session.secure) return session.reply(503, "PROT needs a secure control connection (AUTH TLS first).");
    if (!session.pbszDone) return session.reply(503, "PROT needs PBSZ first.");
    const level = argument.trim().toUpperCase();
    if (level === "P") {
      session.protection = "P";
      return session.reply(200, "PROT now Private.");
    }
    if (level === "C") {
      if (session.settings.requireProtectedData) return session.reply(534, "PROT C refused: data connections must be encrypted.");
      session.protection = "C";
      return session.reply(200, "PROT now Clear.");
    }
    if (level === "S" || level === "E") return session.reply(536, "PROT level not supported with TLS.");
    session.reply(504, "Unknown PROT level.");
  },
};
