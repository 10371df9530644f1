import type { Command } from "./command.js";

/** Largest offset REST takes: a safe integer, since offsets travel as numbers. */
const MAX_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * REST (RFC 3659 §5, stream mode): the byte offset where the next RETR or STOR starts.
 * Only plain decimal digits are a valid marker (501 otherwise); whether the
 * offset fits the file is judged by the transfer command that uses it.
 */
export const rest: Command = {
  verb: "REST",
  syntax: "REST <sp> offset",
  run(session, argument) {
    const value = argument.trim();
    if (!/^\d{1,20}$/.test(value) || BigInt(value) > MAX_OFFSET) return session.reply(501, "REST needs a byte offset.");
    session.restOffset = Number(value);
    session.reply(350, `Restarting at ${value}. Send STOR or RETR to initiate transfer.`);
  },
};
