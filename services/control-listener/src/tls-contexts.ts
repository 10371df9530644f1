import { randomBytes, X509Certificate } from "node:crypto";
import { EventEmitter } from "node:events";
import { readFileSync, statSync } from "node:fs";
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
/** How often a port looks at its CA bundle and CRL files for a new version. */
const TRUST_RECHECK_MS = 10_000;
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
  /** How often new sessions look at the CA and CRL files for a new version (default 10 s). */
  trustRecheckMs?: number;
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

/**
 * A CA bundle must hold at least one readable certificate (Node would skip a
 * file of garbage, and every client certificate would then fail), and a CRL
 * file must parse.
 */
function checkTrustFiles(caFile: string | undefined, ca: Buffer | undefined, crlFile: string | undefined, crl: Buffer | undefined): void {
  if (caFile && ca) {
    const blocks = ca.toString("utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new Error(`${caFile}: no PEM certificate in the CA bundle`);
    for (const [index, block] of blocks.entries()) {
      try {
        new X509Certificate(block);
      } catch (error) {
        throw new Error(`${caFile}: certificate ${index + 1} cannot be read (${(error as Error).message})`);
      }
    }
  }
  if (crlFile && crl) {
    try {
      createSecureContext({ crl });
    } catch (error) {
      throw new Error(`${crlFile}: not a PEM CRL (${(error as Error).message})`);
    }
  }
}

export function loadPortTls({
  certFile,
  keyFile,
  minVersion = "TLSv1.2",
  maxVersion = "TLSv1.3",
  ciphers = "",
  caFile,
  crlFile,
  trustRecheckMs = TRUST_RECHECK_MS,
}: PortTlsSettings): PortTls {
  // A plain port has no certificate; its sessions never ask for TLS contexts.
  const cert = certFile ? readFileSync(certFile) : undefined;
  const key = keyFile ? readFileSync(keyFile) : undefined;
  const readTrust = () => {
    // With a CRL, Node has OpenSSL check revocation for every certificate in the chain (CRL_CHECK_ALL).
    const files = { ...(caFile ? { ca: readFileSync(caFile) } : {}), ...(crlFile ? { crl: readFileSync(crlFile) } : {}) };
    checkTrustFiles(caFile, files.ca, crlFile, files.crl);
    return files;
  };
  let trust = readTrust();
  // CAs and CRLs are republished while the port runs (a CRL expires within days): new sessions pick
  // up changed files, looked at no more than every TRUST_RECHECK_MS. A file that stops being usable
  // leaves the last good one in use (and the next check tries again).
  const trustStamp = () => [caFile, crlFile].map((file) => (file ? statSync(file, { throwIfNoEntry: false })?.mtimeMs : 0)).join();
  let stamp = trustStamp();
  let checkedAt = Date.now();
  const currentTrust = () => {
    if (Date.now() - checkedAt < trustRecheckMs) return trust;
    checkedAt = Date.now();
    const now = trustStamp();
    if (now !== stamp) {
      try {
        trust = readTrust();
        stamp = now;
      } catch {
        // Keep the last good files.
      }
    }
    return trust;
  };
  // Contexts are made per session: a file that cannot be used must stop the port now, not its first session.
  if (cert && key) {
    try {
      createSecureContext({ cert, key, minVersion, maxVersion, ...(ciphers ? { ciphers } : {}) });
    } catch (error) {
      throw new Error(`the certificate, key or cipher list cannot be used: ${(error as Error).message}`);
    }
  }
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
      const options = { cert, key, ticketKeys, sessionIdContext: randomBytes(16).toString("hex"), minVersion, maxVersion, ...(ciphers ? { ciphers } : {}), ...currentTrust() };
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
