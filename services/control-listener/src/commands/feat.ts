import type { Command } from "./command.js";

/**
 * FEAT (RFC 2389): only what this port really does; allowed before login. An
 * explicit-FTPS port lists AUTH TLS, PBSZ, PROT and UTF8 (RFC 4217 §6); an
 * implicit one has no AUTH to offer; a plain port no TLS at all.
 */
export const feat: Command = {
  verb: "FEAT",
  beforeLogin: true,
  syntax: "FEAT",
  run(session) {
    const mode = session.settings.tlsMode;
    const tls = mode === "none" ? [] : mode === "implicit" ? ["PBSZ", "PROT"] : ["AUTH TLS", "PBSZ", "PROT"];
    session.reply(211, ["Features:", ...tls, "UTF8", "EPSV", "PASV", "SIZE", "MDTM", "MFMT", "REST STREAM", "MLST type*;size*;modify*;perm*;", "HASH SHA-256*", "End"]);
  },
};
