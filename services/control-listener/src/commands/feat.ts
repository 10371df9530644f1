import type { Command } from "./command.js";

/** FEAT (RFC 2389): only what this server really does; allowed before login (RFC 4217 §6 requires AUTH TLS, PBSZ, PROT, UTF8). */
export const feat: Command = {
  verb: "FEAT",
  beforeLogin: true,
  syntax: "FEAT",
  run(session) {
    session.reply(211, ["Features:", "AUTH TLS", "PBSZ", "PROT", "UTF8", "EPSV", "PASV", "SIZE", "MDTM", "REST STREAM", "End"]);
  },
};
