import type { FtpSession } from "../session.js";

/** One FTP verb: its handler and how HELP describes it. */
export interface Command {
  verb: string;
  /** May run before login (USER, PASS, AUTH, FEAT, …); every other verb needs a login (530). */
  beforeLogin?: boolean;
  /** The syntax shown by HELP. */
  syntax: string;
  run(session: FtpSession, argument: string): Promise<void> | void;
}
