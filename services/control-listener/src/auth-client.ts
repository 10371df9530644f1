import { type NatsConnection, request } from "@wharf/bus";
import { auth, subjects, WharfError } from "@wharf/contracts";

export interface LoginAttempt {
  username: string;
  password: string;
  remoteAddress: string;
  sessionId: string;
  portAlias: string;
}

export interface AuthClient {
  /** Resolves with the user, or throws WHARF_AUTH_INVALID_CREDENTIALS (or WHARF_UNAVAILABLE when auth cannot answer). */
  login(attempt: LoginAttempt): Promise<auth.User>;
}

/** Asks the auth service (any instance of its queue group) over NATS. */
export function createAuthClient(nc: NatsConnection, { timeoutMs }: { timeoutMs: number }): AuthClient {
  return {
    login: async (attempt) => {
      const body = auth.LoginRequest.encode(attempt).finish();
      const reply = auth.LoginResponse.decode(await request(nc, subjects.authLogin, body, { timeoutMs }));
      if (!reply.ok || !reply.user) throw new WharfError("WHARF_AUTH_INVALID_CREDENTIALS", "login incorrect");
      return reply.user;
    },
  };
}
