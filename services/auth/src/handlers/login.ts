import { auth, WharfError } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { Counter } from "prom-client";
import { verifyPassword } from "../password-hash.js";
import type { UserStore } from "../user-store.js";
import type { VerifiedPasswords } from "../verified-passwords.js";

export interface LoginDeps {
  store: UserStore;
  log: Logger;
  logins: Counter<"result">;
  /** A hash of a random password, checked for unknown users so they cost the same time. */
  decoyHash: string;
  /** Recently verified passwords of known users (unknown users always pay the decoy's argon2id). */
  verified: VerifiedPasswords;
}

/**
 * wharf.auth.v1.login: checks a user name and password. An unknown user, a
 * disabled user and a wrong password are refused alike, and all three pay for
 * one argon2 verification, so neither the reply nor its timing tells them apart
 * (only a recently verified right password is answered from memory).
 */
export function createLoginHandler({ store, log, logins, decoyHash, verified }: LoginDeps) {
  return async (body: Uint8Array): Promise<Uint8Array> => {
    const request = auth.LoginRequest.decode(body);
    const user = await store.get(request.username);
    // Only enabled users are answered from the cache: a disabled one always pays argon2id, like an unknown one.
    const matches = user?.enabled ? await verified.verify(user.name, user.passwordHash, request.password) : await verifyPassword(request.password, user?.passwordHash ?? decoyHash);
    const context = { user: request.username, remote: request.remoteAddress, sessionId: request.sessionId, port: request.portAlias };
    if (!user?.enabled || !matches) {
      logins.inc({ result: "refused" });
      log.info({ ...context, reason: !user ? "unknown user" : !user.enabled ? "disabled" : "wrong password" }, "login refused");
      throw new WharfError("WHARF_AUTH_INVALID_CREDENTIALS", "login incorrect");
    }
    logins.inc({ result: "ok" });
    log.info(context, "login accepted");
    return auth.LoginResponse.encode({ ok: true, user: { name: user.name, home: user.home } }).finish();
  };
}
