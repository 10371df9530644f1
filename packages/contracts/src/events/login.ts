import { z } from "zod";
import { eventTypes } from "../subjects.js";

/** How a client proved who it is: a password, a mapped client certificate alone, or both. */
export const LOGIN_METHODS = ["password", "cert", "cert+password"] as const;
export type LoginMethod = (typeof LOGIN_METHODS)[number];

/**
 * Why auth refused a login, for operators. The client is told "Login
 * incorrect." in every case but a certificate the TLS layer refused ("A valid
 * client certificate is required."), which says nothing about any user.
 */
export const LOGIN_REFUSALS = [
  "unknown user",
  "disabled",
  "wrong password",
  "no password set",
  "banned address",
  "address not allowed",
  "port not allowed",
  "tls required",
  "certificate required",
  "certificate not trusted",
  "certificate does not match user",
  "ambiguous certificate mapping",
  "certificate has an embedded NUL",
] as const;
export type LoginRefusal = (typeof LOGIN_REFUSALS)[number];

/** The listener's certificate problem when a port that requires a certificate got none. */
export const NO_CLIENT_CERTIFICATE = "no client certificate";

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
  method: z.enum(LOGIN_METHODS),
  /** Why a login was refused; absent on success. */
  reason: z.enum(LOGIN_REFUSALS).optional(),
  /** ISO 8601 time of the answer. */
  at: z.string(),
});
export type LoginEvent = z.infer<typeof LoginEvent>;
