import { ActiveConnector } from "../active-connector.js";
import { type ActiveTarget, parseEprt, parsePort, sameAddress } from "../active-address.js";
import type { FtpSession } from "../session.js";
import type { Command } from "./command.js";

/** Ports below this are reserved (RFC 2577 §3): a PORT to them would make the server talk SMTP, DNS, … for the client. */
const FIRST_UNRESERVED_PORT = 1024;

/**
 * PORT and EPRT. Active mode is off by default: the server would connect out
 * to whatever a client names (the FTP bounce attack, RFC 2577 §2–3;
 * CVE-2020-15152). When a port turns it on, the server connects only to the
 * control peer's own address (500, like vsftpd's port_promiscuous=NO and
 * ProFTPD's AllowForeignAddress off) and only to ports ≥ 1024 (504, RFC 2577 §3).
 * The argument is checked first, so bad syntax and unknown families get their
 * own codes, and after EPSV ALL any data-connection setup but EPSV is refused.
 */
function setActive(session: FtpSession, target: ActiveTarget) {
  if (!target.ok) return session.reply(target.code, target.text);
  if (session.epsvAll) return session.reply(501, "Only EPSV is allowed after EPSV ALL.");
  if (!session.settings.activeMode) return session.reply(502, "Active mode is disabled; use PASV or EPSV.");
  if (!sameAddress(target.host, session.remoteAddress)) {
    session.log.warn({ target: target.host }, "refused an active-mode connection to another address than the client's");
    return session.reply(500, "Illegal PORT command: only your own address is allowed.");
  }
  if (target.port < FIRST_UNRESERVED_PORT) return session.reply(504, "Illegal PORT command: ports below 1024 are not allowed.");
  session.resetDataEndpoint();
  session.dataEndpoint = new ActiveConnector({ host: session.remoteAddress, port: target.port, localAddress: session.localAddress });
  session.reply(200, "PORT command successful. Consider using PASV.");
}

export const port: Command = {
  verb: "PORT",
  syntax: "PORT <sp> h1,h2,h3,h4,p1,p2",
  run: (session, argument) => setActive(session, parsePort(argument)),
};

export const eprt: Command = {
  verb: "EPRT",
  syntax: "EPRT <sp> |family|address|port|",
  run: (session, argument) => setActive(session, parseEprt(argument)),
};
