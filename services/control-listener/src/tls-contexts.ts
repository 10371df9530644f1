import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { createSecureContext, type SecureContext, type TLSSocket } from "node:tls";

/** The two TLS contexts of one FTP session, bound to it by a session id context of its own. */
export interface SessionTls {
  /** For the control connection: issues session tickets (and session IDs for TLS 1.2). */
  control: SecureContext;
  /**
   * For data connections: resumes the control connection's session, issues
   * none of its own. Made at the first protected data connection (a context
   * costs about as much CPU as the control handshake, and many sessions
   * only log in), then kept for the session.
   */
  data(): SecureContext;
}

export interface PortTls {
  /** Fresh contexts for one FTP session (about 0.2 ms and 30 KiB each; the data one only when used). */
  sessionContexts(): SessionTls;
  /** The `server` option of control TLS sockets: a TLS 1.2 session-ID cache that stores and resumes. */
  readonly controlSessions: EventEmitter;
  /** The `server` option of data TLS sockets: resumes from the same cache, never stores. */
  readonly dataSessions: EventEmitter;
}

const SESSION_LIFETIME_MS = 300_000;
const MAX_CACHED_SESSIONS = 20_000;

/**
 * The port's TLS material and the machinery that binds each data connection to
 * its own control session (PROTOCOL.md §7; vsftpd's require_ssl_reuse):
 *
 * - One set of ticket keys for the whole port, shared by every context, so a
 *   ticket issued on a control connection can be resumed on its data connections.
 * - A session id context unique to each FTP session: OpenSSL refuses to resume a
 *   ticket or cached session from another context, so a session (or ticket)
 *   stolen from another FTP session forces a full handshake, which the data
 *   connection then refuses.
 * - A session-ID cache for TLS 1.2 clients that resume by ID (curl 7.88 sends no
 *   ticket extension); Node's server-side sockets keep none of their own. Only
 *   control connections add to it.
 * - Data contexts decrypt the port's tickets but issue none (through Node's
 *   ticket-key callback, an internal API pinned by the listener's tests): a client
 *   refused on a data connection must not receive a ticket there that would make
 *   its next data connection look resumed.
 *
 * TLS 1.2 is the floor (RFC 8996 deprecates 1.0 and 1.1) and Node's default
 * cipher list, which has no weak suites, applies.
 */
export interface PortTlsSettings {
  certFile?: string | undefined;
  keyFile?: string | undefined;
  minVersion?: "TLSv1.2" | "TLSv1.3";
  maxVersion?: "TLSv1.2" | "TLSv1.3";
  /** OpenSSL cipher list for TLS 1.2; empty: Node's default. */
  ciphers?: string;
  /** The trust store for client certificates (PEM CA bundle) and its revocation lists. */
  caFile?: string | undefined;
  crlFile?: string | undefined;
}

/**
 * Why the client certificate on a server-side TLS socket failed verification
 * against the context's CA bundle and CRLs ("CERT_HAS_EXPIRED",
 * "CERT_REVOKED", "UNABLE_TO_GET_ISSUER_CERT", "INVALID_PURPOSE" for a
 * certificate not meant for TLS clients, …), or undefined when it passed.
 *
 * Node checks this itself only for sockets a tls.Server accepted; a control
 * connection that turns to TLS after AUTH is wrapped by hand, so the check is
 * read from the native handle (an internal API, pinned by the listener's
 * tests). Should it ever be missing, every certificate fails: closed, not open.
 */
export function peerVerifyError(socket: TLSSocket): string | undefined {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
  if (typeof handle?.verifyError !== "function") return "VERIFY_API_MISSING";
  const error = handle.verifyError();
  return error ? (error.code ?? error.message) : undefined;
}

export function loadPortTls({ certFile, keyFile, minVersion = "TLSv1.2", maxVersion = "TLSv1.3", ciphers = "", caFile, crlFile }: PortTlsSettings): PortTls {
  // A plain port has no certificate; its sessions never ask for TLS contexts.
  const cert = certFile ? readFileSync(certFile) : undefined;
  const key = keyFile ? readFileSync(keyFile) : undefined;
  // With a CRL, Node has OpenSSL check revocation for every certificate in the chain (CRL_CHECK_ALL).
  const trust = { ...(caFile ? { ca: readFileSync(caFile) } : {}), ...(crlFile ? { crl: readFileSync(crlFile) } : {}) };
  const ticketKeys = randomBytes(48);
  const ticketName = ticketKeys.subarray(0, 16);
  const ticketHmac = ticketKeys.subarray(16, 32);
  const ticketAes = ticketKeys.subarray(32, 48);
  const cache = new Map<string, { session: Buffer; at: number }>();

  const lookup = (id: Buffer, done: (error: Error | null, session: Buffer | null) => void) => {
    const entry = cache.get(id.toString("hex"));
    done(null, entry && Date.now() - entry.at < SESSION_LIFETIME_MS ? entry.session : null);
  };
  const controlSessions = new EventEmitter();
  controlSessions.on("newSession", (id: Buffer, session: Buffer, done: () => void) => {
    if (cache.size >= MAX_CACHED_SESSIONS) cache.delete(cache.keys().next().value as string);
    cache.set(id.toString("hex"), { session, at: Date.now() });
    done();
  });
  controlSessions.on("resumeSession", lookup);
  const dataSessions = new EventEmitter();
  dataSessions.on("newSession", (_id: Buffer, _session: Buffer, done: () => void) => done());
  dataSessions.on("resumeSession", lookup);

  return {
    controlSessions,
    dataSessions,
    sessionContexts: () => {
      if (!cert || !key) throw new Error("this port has no TLS certificate");
      const options = { cert, key, ticketKeys, sessionIdContext: randomBytes(16).toString("hex"), minVersion, maxVersion, ...(ciphers ? { ciphers } : {}), ...trust };
      let data: SecureContext | undefined;
      const makeData = () => {
        const context = createSecureContext(options);
        const native = context.context as {
          enableTicketKeyCallback(): void;
          onticketkeycallback: (name: Buffer, iv: Buffer, encrypt: boolean) => unknown[];
        };
        native.enableTicketKeyCallback();
        native.onticketkeycallback = (name, iv, encrypt) => {
          if (encrypt) return [0, ticketHmac, ticketAes, ticketName, iv]; // 0: issue no ticket
          return name.equals(ticketName) ? [1, ticketHmac, ticketAes] : [0];
        };
        return context;
      };
      return {
        control: createSecureContext(options),
        data: () => {
          data ??= makeData();
          return data;
        },
      };
    },
  };
}
