import type { Command } from "./command.js";

/**
 * SITE. Files in Wharf have no Unix mode bits to change (access is the
 * gateway's per-user permissions), so SITE CHMOD is answered as not
 * implemented rather than pretending to succeed; other SITE commands are unknown.
 */
export const site: Command = {
  verb: "SITE",
  syntax: "SITE <sp> CHMOD|HELP",
  run(session, argument) {
    const [sub = ""] = argument.trim().split(/\s+/);
    switch (sub.toUpperCase()) {
      case "CHMOD":
        return session.reply(502, "SITE CHMOD is not available: access is set by the gateway's permissions, not mode bits.");
      case "HELP":
        return session.reply(214, "SITE CHMOD is not available here.");
      default:
        return session.reply(500, "Unknown SITE command.");
    }
  },
};
