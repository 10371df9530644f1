import type { Command } from "./command.js";

/** AUTH mechanisms taken as TLS: TLS-C is TLS (RFC 4217 §17); SSL is what curl tries first, and vsftpd accepts it too. */
const TLS_MECHANISMS = new Set(["TLS", "TLS-C", "SSL"]);

export function isTlsMechanism(argument: string): boolean {
  return TLS_MECHANISMS.has(argument.trim().toUpperCase());
}

/**
 * AUTH TLS (RFC 4217 §4): 234, then the TLS handshake on the same socket.
 * Never 334, which would announce an ADAT exchange.
 */
export const authTls: Command = {
  verb: "AUTH",
  beforeLogin: true,
  syntax: "AUTH <sp> TLS",
  run(session, mechanism) {
    // RFC 2228: 502 where the security extensions are not implemented (a plain port).
    if (session.settings.tlsMode === "none") return session.reply(502, "TLS is not offered on this port.");
    if (session.secure || session.settings.tlsMode === "implicit") return session.reply(503, "Already using TLS.");
    if (!isTlsMechanism(mechanism)) return session.reply(504, "Unknown AUTH type.");
    session.reply(234, "Proceed with negotiation.");
    session.upgradeToTls();
  },
};
