import { randomUUID } from "node:crypto";
import { publishEvent } from "@wharf/bus";
import type { NatsConnection } from "@wharf/bus";
import { auth, eventTypes, type LoginEvent, subjects, WharfError } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { Counter, Histogram } from "prom-client";
import { verifyPassword } from "../password-hash.js";
import type { UserStore } from "../user-store.js";
import type { VerifiedPasswords } from "../verified-passwords.js";
import type { Defender } from "../defender.js";

export interface LoginDeps {
  store: UserStore;
  log: Logger;
  /** Where login events go (the event stream). */
  nc: NatsConnection;
  logins: Counter<"method" | "result">;
  /** Time to answer a login, by result. */
  latency: Histogram<"result">;
  /** A hash of a random password, checked for unknown users so they cost the same time. */
  decoyHash: string;
  /** Recently verified passwords of known users (unknown users always pay the decoy's argon2id). */
  verified: VerifiedPasswords;
  /** Scores failures per source address and bans repeat offenders. */
  defender: Defender;
  bansIssued: Counter;
}

/**
 * wharf.auth.v1.login: checks a user name and password. An unknown user, a
 * disabled user and a wrong password are refused alike, and all three pay for
 * one argon2 verification, so neither the reply nor its timing tells them apart
 * (only a recently verified right password is answered from memory).
 */
export function createLoginHandler({ store, log, nc, logins, latency, decoyHash, verified, defender, bansIssued }: LoginDeps) {
  /**
   * The event goes out without holding up the answer (a stream that is slow or missing must not
   * stop logins); a failure to publish is logged.
   */
  const announce = (request: auth.LoginRequest, reason?: LoginEvent["reason"]) => {
    const event: LoginEvent = {
      type: reason ? eventTypes.loginFailed : eventTypes.loginSucceeded,
      user: request.username,
      remoteAddress: request.remoteAddress,
      sessionId: request.sessionId,
      portAlias: request.portAlias,
      method: "password",
      ...(reason ? { reason } : {}),
      at: new Date().toISOString(),
    };
    publishEvent(nc, reason ? subjects.loginFailed : subjects.loginSucceeded, event, { msgId: randomUUID() }).catch((error: unknown) =>
      log.warn({ err: String(error), user: request.username }, "login event not published"),
    );
  };
  return async (body: Uint8Array): Promise<Uint8Array> => {
    const stopTimer = latency.startTimer();
    const request = auth.LoginRequest.decode(body);
    const context = { user: request.username, remote: request.remoteAddress, sessionId: request.sessionId, port: request.portAlias };
    const refuse = async (reason: NonNullable<LoginEvent["reason"]>) => {
      logins.inc({ method: "password", result: "refused" });
      stopTimer({ result: "refused" });
      log.info({ ...context, reason }, "login refused");
      announce(request, reason);
      if (reason !== "banned address") {
        const bannedUntil = await defender.recordFailure(request.remoteAddress).catch(() => undefined);
        if (bannedUntil) {
          bansIssued.inc();
          log.warn({ remote: request.remoteAddress, until: new Date(bannedUntil).toISOString() }, "address banned after repeated failed logins");
        }
      }
      return new WharfError("WHARF_AUTH_INVALID_CREDENTIALS", "login incorrect");
    };
    // A banned address is refused like any failed login (the listener already closes its new connections).
    if (defender.isBanned(request.remoteAddress)) throw await refuse("banned address");
    const user = await store.get(request.username);
    // Only enabled users are answered from the cache: a disabled one always pays argon2id, like an unknown one.
    const matches = user?.enabled ? await verified.verify(user.name, user.passwordHash, request.password) : await verifyPassword(request.password, user?.passwordHash ?? decoyHash);
    if (!user?.enabled || !matches) throw await refuse(!user ? "unknown user" : !user.enabled ? "disabled" : "wrong password");
    logins.inc({ method: "password", result: "ok" });
    stopTimer({ result: "ok" });
    log.info(context, "login accepted");
    announce(request);
    return auth.LoginResponse.encode({ ok: true, user: { name: user.name, home: user.home } }).finish();
  };
}
