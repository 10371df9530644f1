import { type ActiveTarget, parseEprt, parsePort } from "../active-address.js";
import type { FtpSession } from "../session.js";
import type { Command } from "./command.js";

/**
 * Active mode is not offered: the server never connects out to an address a
 * client names (the FTP bounce attack, RFC 2577 §2–3; CVE-2020-15152). The
 * argument is still checked, so bad syntax and unknown families get their own
 * codes, and after EPSV ALL any data-connection setup but EPSV is refused.
 */
function refuseActive(session: FtpSession, target: ActiveTarget): void {
  if (!target.ok) session.reply(target.code, target.text);
  else if (session.epsvAll) session.reply(501, "Only EPSV is allowed after EPSV ALL.");
  else session.reply(502, "Active mode is disabled; use PASV or EPSV.");
}

export const port: Command = {
  verb: "PORT",
  syntax: "PORT <sp> h1,h2,h3,h4,p1,p2",
  run: (session, argument) => refuseActive(session, parsePort(argument)),
};

export const eprt: Command = {
  verb: "EPRT",
  syntax: "EPRT <sp> |family|address|port|",
  run: (session, argument) => refuseActive(session, parseEprt(argument)),
};
