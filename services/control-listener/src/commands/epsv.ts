import type { Command } from "./command.js";
import { openPassive } from "./pasv.js";

/**
 * EPSV (RFC 2428 §3): 229 with the port only; the client connects to the
 * control connection's address. "EPSV ALL" locks the session to EPSV.
 * A protocol other than the control connection's family is answered 522.
 */
export const epsv: Command = {
  verb: "EPSV",
  syntax: "EPSV [<sp> 1|2|ALL]",
  async run(session, argument) {
    const value = argument.trim().toUpperCase();
    if (value === "ALL") {
      session.epsvAll = true;
      return session.reply(200, "EPSV ALL ok.");
    }
    const family = session.localAddress.includes(":") ? "2" : "1";
    if (value !== "" && value !== family) return session.reply(522, `Network protocol not supported, use (${family}).`);
    const listener = await openPassive(session).catch(() => undefined);
    if (!listener) return session.reply(425, "Can't open passive connection.");
    session.reply(229, `Entering Extended Passive Mode (|||${listener.port}|).`);
  },
};
