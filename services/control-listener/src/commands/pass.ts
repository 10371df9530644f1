import { attemptLogin } from "../login.js";
import type { Command } from "./command.js";

/** PASS. The check is auth's, over NATS (see attemptLogin for delays and the attempt limit). */
export const pass: Command = {
  verb: "PASS",
  beforeLogin: true,
  syntax: "PASS <sp> password",
  async run(session, password) {
    if (session.user) return session.reply(503, "Already logged in.");
    const username = session.pendingUser;
    if (username === undefined) return session.reply(503, "Login with USER first.");
    session.pendingUser = undefined;
    await attemptLogin(session, username, password);
  },
};
