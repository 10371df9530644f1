import type { Command } from "./command.js";

/**
 * STAT without an argument: the session's status (a transfer in progress is
 * reported out of band by the session itself, without waiting for it).
 */
export const stat: Command = {
  verb: "STAT",
  beforeLogin: true,
  syntax: "STAT",
  run(session) {
    session.reply(211, [
      "Wharf FTP server status:",
      `Connected to ${session.localAddress}, from ${session.remoteAddress}`,
      session.user ? `Logged in as ${session.user.name}` : "Not logged in",
      `TYPE: ${session.type === "I" ? "BINARY" : "ASCII"}; control ${session.secure ? "TLS" : "clear"}; data ${session.protection === "P" ? "TLS" : "clear"}`,
      "End of status",
    ]);
  },
};
