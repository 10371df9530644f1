import { z } from "zod";
import { eventTypes } from "../subjects.js";

/**
 * Published by auth for every login it answers, accepted or refused, for the
 * audit trail and for the brute-force defender. The reason of a refusal is
 * for operators only: the client is told the same thing in every case.
 */
export const LoginEvent = z.object({
  type: z.enum([eventTypes.loginSucceeded, eventTypes.loginFailed]),
  /** The name the client gave (possibly no user at all). */
  user: z.string(),
  remoteAddress: z.string(),
  sessionId: z.string(),
  portAlias: z.string(),
  /** How the client proved who it is. */
  method: z.enum(["password"]),
  /** Why a login was refused; absent on success. */
  reason: z.enum(["unknown user", "disabled", "wrong password", "banned address"]).optional(),
  /** ISO 8601 time of the answer. */
  at: z.string(),
});
export type LoginEvent = z.infer<typeof LoginEvent>;
