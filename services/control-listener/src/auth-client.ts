import { type BusMetrics, type NatsConnection, request } from "@wharf/bus";
import { auth, subjects, WharfError } from "@wharf/contracts";

export interface LoginAttempt {
  username: string;
  /** Absent at USER: only a user whose mapped certificate alone logs in is accepted then. */
  password?: string | undefined;
  remoteAddress: string;
  sessionId: string;
  portAlias: string;
  /** The verified client certificate (DER), when the port maps certificates to users. */
  clientCertificate?: Buffer | undefined;
  tls: boolean;
  certificateRequired: boolean;
  /** Why the TLS layer refused the client certificate: auth refuses the login and records it. */
  certificateProblem?: string | undefined;
}

/** `grant`: auth's signed grant for the session, sent with its storage calls (empty when auth signs none). */
export type LoginResult = { kind: "accepted"; user: auth.User; grant: string } | { kind: "password required" };

export interface AuthClient {
  /** Resolves with the user (or, at USER, that a password is needed); throws WHARF_AUTH_INVALID_CREDENTIALS, or WHARF_UNAVAILABLE when auth cannot answer. */
  login(attempt: LoginAttempt): Promise<LoginResult>;
}

/** Asks the auth service (any instance of its queue group) over NATS. */
export function createAuthClient(nc: NatsConnection, { timeoutMs, metrics }: { timeoutMs: number; metrics?: Pick<BusMetrics, "requestDuration"> }): AuthClient {
  return {
    login: async ({ password, clientCertificate, ...attempt }) => {
      const body = auth.LoginRequest.encode(
        auth.LoginRequest.fromPartial({ ...attempt, password: password ?? "", withoutPassword: password === undefined, clientCertificate: clientCertificate ?? Buffer.alloc(0) }),
      ).finish();
      const reply = auth.LoginResponse.decode(await request(nc, subjects.authLogin, body, { timeoutMs, ...(metrics ? { metrics } : {}) }));
      if (reply.ok && reply.user) return { kind: "accepted", user: reply.user, grant: reply.grant };
      if (password === undefined && reply.passwordRequired) return { kind: "password required" };
      throw new WharfError("WHARF_AUTH_INVALID_CREDENTIALS", "login incorrect");
    },
  };
}
