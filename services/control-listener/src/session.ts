import { randomUUID } from "node:crypto";
import type { Server, Socket } from "node:net";
import { type SecureContext, TLSSocket } from "node:tls";
import { ROOT_CONTEXT, type SpanContext, SpanStatusCode, trace } from "@opentelemetry/api";
import { type auth, grantExpiry, NO_CLIENT_CERTIFICATE, type Permission, permits, sessionKeys, type StorageClient, type StorageLocation, WharfError } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { AuthClient } from "./auth-client.js";
import { isTlsMechanism } from "./commands/auth.js";
import type { CommandTable } from "./commands/index.js";
import { CommandFramer } from "./command-framer.js";
import { type ParsedCommand, parseCommand } from "./command-parser.js";
import type { PortSettings } from "./config.js";
import { type DataConnection, prepareDataConnection, refuseUnresumed } from "./data-channel.js";
import type { ListenerMetrics, SessionCloseReason } from "./metrics.js";
import { type DataEndpoint, plainAddress } from "./passive-listener.js";
import { formatReply } from "./reply.js";
import type { Release, SessionLimits } from "./session-limits.js";
import { replyFor } from "./reply-codes.js";
import { type PortTls, peerVerifyError, type SessionTls } from "./tls-contexts.js";
import { resolveVirtualPath } from "./virtual-path.js";

export type { DataConnection } from "./data-channel.js";

export interface SessionDeps {
  settings: PortSettings;
  tls: PortTls;
  auth: AuthClient;
  storage: StorageClient;
  commands: CommandTable;
  metrics: ListenerMetrics;
  log: Logger;
  /** The clock a session's grant expiry is read against (tests move it). */
  now?: () => number;
  /** Sessions per address and per user, counted across every listener. */
  sessionLimits: SessionLimits;
  /** Addresses the brute-force defender banned: refused at connect. */
  isBanned?: (address: string) => boolean;
}

const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;
/** Commands waiting in the mailbox before the session stops reading the socket (backpressure). */
const MAX_QUEUED_COMMANDS = 32;
/** Commands a client may pipeline in one go; more is abuse (421 and close). */
const MAX_PIPELINED_COMMANDS = 1_024;
const tracer = trace.getTracer("wharf-control-listener");
const TRANSFER_VERBS: ReadonlySet<string> = new Set(["RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"]);

/** A check a transfer command runs while the data connection is being made (see openDataConnection). */
export interface DataPrecheck {
  /** Settles with the reason the transfer may not go ahead, or undefined when it may; never rejects. */
  refusal: Promise<WharfError | undefined>;
  /** Answers the refusal on the control connection. */
  refuse(refusal: WharfError): void;
}

/**
 * One FTP control connection, run as an actor: lines are framed from the
 * socket into a mailbox and handled one at a time, in order. The session owns
 * its state (login, folder, TLS, protection level, passive port) and its
 * timers; commands (one file per verb) act on it.
 */
export class FtpSession {
  readonly id = randomUUID().replaceAll("-", "").slice(0, 16);
  readonly remoteAddress: string;
  readonly localAddress: string;
  log: Logger;

  // Protocol state (RFC 959, RFC 4217).
  secure = false;
  pbszDone = false;
  protection: "C" | "P" = "C";
  pendingUser: string | undefined;
  user: auth.User | undefined;
  /** This session's view of storage, with its grant (see `storage`), and when that grant ends. */
  private grantedStorage: StorageClient | undefined;
  private grantExpiresAt: number | undefined;
  failedLogins = 0;
  cwd = "/";
  type: "A" | "I" = "A";
  /** What RNFR named: its path, and whether it is a folder (moving one is checked against folder rules). */
  renameFrom: { path: string; folder: boolean } | undefined;
  dataEndpoint: DataEndpoint | undefined;
  epsvAll = false;
  /** The offset the next RETR starts at (REST); any other command resets it. */
  restOffset = 0;
  /** This session's TLS contexts, made at AUTH TLS. */
  sessionTls: SessionTls | undefined;
  /** The client certificate (DER) the handshake verified, on ports that ask for one. */
  clientCertificate: Buffer | undefined;
  /** Why this session may not log in because of its certificate (none on a require port, or one that failed verification). */
  certificateRefusal: string | undefined;

  private socket: Socket;
  private readonly framer: CommandFramer;
  private readonly mailbox: ParsedCommand[] = [];
  private running = false;
  private ended = false;
  /** Set when the listener drains (see drain()). */
  private draining = false;
  /** The span context of the command that logged the session in. */
  private loginTrace: SpanContext | undefined;
  /** Why the server closes this session, once it decided to; none when the client went away. */
  private closeReason: SessionCloseReason | undefined;
  /** Gives back the user's session claim (see claimUserSession). */
  private releaseUserSession: Release | undefined;
  private tooLongLines = 0;
  private awaitingTls = false;
  private readingPaused = false;
  private acceptingData: DataEndpoint | undefined;
  private controlEndedAt: Promise<void>;
  private markControlEnded!: () => void;
  private loginTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly dataSockets = new Set<Socket>();
  private markClosed!: () => void;
  /** Resolves once the control connection is gone. */
  readonly closed: Promise<void> = new Promise((resolve) => {
    this.markClosed = resolve;
  });

  /**
   * @param remoteAddress the partner's address: the socket's peer, or behind a load balancer the one its PROXY
   * protocol header named (limits, bans, logs and the data connection's peer check all use it)
   */
  constructor(
    socket: Socket,
    readonly deps: SessionDeps,
    remoteAddress: string = plainAddress(socket.remoteAddress) ?? "unknown",
  ) {
    this.socket = socket;
    this.remoteAddress = remoteAddress;
    this.localAddress = plainAddress(socket.localAddress) ?? "0.0.0.0";
    this.framer = new CommandFramer(deps.settings.maxLineBytes);
    this.controlEndedAt = new Promise((resolve) => {
      this.markControlEnded = resolve;
    });
    this.log = deps.log.child({ connId: this.id, remote: this.remoteAddress });
    // Until a TLS handshake brings a valid certificate, a require port lets no one log in.
    if (deps.settings.clientAuth === "require") this.certificateRefusal = NO_CLIENT_CERTIFICATE;
  }

  get settings(): PortSettings {
    return this.deps.settings;
  }

  get portAlias(): string {
    return this.deps.settings.alias;
  }

  start(): void {
    this.deps.metrics.sessionsOpened.inc({ port: this.portAlias });
    this.deps.metrics.sessionsActive.inc({ port: this.portAlias });
    this.socket.once("close", () => this.cleanup());
    this.loginTimer = setTimeout(() => this.closeWith(421, "Login timeout.", "login_timeout"), this.settings.loginTimeoutMs);
    this.log.info({ port: this.portAlias }, "session opened");
    if (this.settings.tlsMode === "implicit") {
      // Implicit FTPS: TLS from the first byte, the greeting only inside it, and PROT P implied (no PBSZ/PROT needed).
      // The plain socket is never read as FTP: what the client sent already (its ClientHello, buffered while the
      // connection was admitted) stays on it for the TLS layer.
      this.switchToTls(() => {
        this.pbszDone = true;
        this.protection = "P";
        this.reply(220, "Wharf FTPS gateway ready.");
      });
      return;
    }
    this.attach(this.socket);
    this.reply(220, this.settings.tlsMode === "none" ? "Wharf FTP gateway ready." : "Wharf FTPS gateway ready.");
  }

  /** Sends one reply (a string[] becomes a multi-line reply). */
  reply(code: number, text: string | readonly string[]): void {
    if (this.ended || this.socket.destroyed) return;
    this.socket.write(formatReply(code, text));
    // A client that sends commands without reading replies must not grow our buffers: stop reading it.
    if (this.socket.writableNeedDrain) this.updateFlow();
  }

  /**
   * Resolves true when the control connection ends (FIN or close) within `ms`.
   * A killed client closes control and data connections at once, so a data
   * connection that ended with a bare FIN while the control connection also
   * goes away is a cut, not a finished upload.
   */
  async controlEndsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.controlEndedAt.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return ended;
  }

  /** Sends the FTP reply that stands for an error (the one mapping, in reply-codes.ts). */
  replyError(error: unknown): void {
    const { code, text } = replyFor(error);
    this.reply(code, text);
  }

  /** Replies, then closes the control connection (and with it every data connection); `reason` is counted in wharf_ftp_sessions_closed_total. */
  closeWith(code: number, text: string, reason: SessionCloseReason): void {
    this.closeReason ??= reason;
    this.reply(code, text);
    this.close();
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2_000).unref();
    for (const data of this.dataSockets) data.destroy();
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /**
   * Takes one of the user's sessions (their limit holds across every listener); false when they have all they
   * may. The session's earlier claim, if any (a second login), is given back first.
   */
  async claimUserSession(user: auth.User): Promise<boolean> {
    void this.releaseUserSession?.();
    this.releaseUserSession = undefined;
    if (user.maxSessions === 0) return true;
    const release = await this.deps.sessionLimits.claim(sessionKeys.user(user.name), user.maxSessions);
    if (this.ended) void release?.();
    else this.releaseUserSession = release;
    return release !== undefined;
  }

  /**
   * Storage as this session reaches it: once logged in, with auth's grant for the partner on every call
   * (storage then acts on the partner's root only); before, or without grants, the listener's own client.
   */
  get storage(): StorageClient {
    return this.grantedStorage ?? this.deps.storage;
  }

  /** Marks the session logged in; `grant` is auth's signed grant for it (empty when auth signs none). */
  loggedIn(user: auth.User, grant = ""): void {
    this.grantedStorage = grant ? this.deps.storage.withGrant(grant) : undefined;
    this.grantExpiresAt = grant ? grantExpiry(grant) : undefined;
    // The login's trace (this command's span, with auth's answer under it): later commands link to it.
    this.loginTrace = trace.getActiveSpan()?.spanContext();
    this.user = user;
    this.pendingUser = undefined;
    this.failedLogins = 0;
    clearTimeout(this.loginTimer);
    this.log = this.deps.log.child({ connId: this.id, remote: this.remoteAddress, user: user.name });
    this.touch();
  }

  /**
   * Switches the control connection to TLS right after the 234: the plaintext
   * reader is detached and its buffer dropped in the same tick, so bytes sent
   * in the clear after AUTH (a pipelined command, an attack) are never read as
   * commands. A failed handshake drops the connection, with no plaintext reply.
   */
  upgradeToTls(): void {
    this.switchToTls();
    // RFC 4217 §4.2: after AUTH the session starts over, as after REIN.
    this.pendingUser = undefined;
    this.user = undefined;
    this.grantedStorage = undefined;
    this.grantExpiresAt = undefined;
    this.cwd = "/";
    this.type = "A";
    this.renameFrom = undefined;
    this.restOffset = 0;
    this.resetDataEndpoint();
  }

  /** Wraps the control connection in TLS; `onSecure` runs once the handshake is done. */
  private switchToTls(onSecure?: () => void): void {
    const plain = this.socket;
    plain.removeAllListeners("data");
    this.awaitingTls = false;
    this.framer.reset();
    this.mailbox.length = 0;
    this.sessionTls = this.deps.tls.sessionContexts();
    const secure = new TLSSocket(plain, {
      isServer: true,
      secureContext: this.sessionTls.control,
      server: this.deps.tls.controlSessions as unknown as Server,
      // Verification is ours (checkClientCertificate), so a failure is logged with its reason and answered 530.
      requestCert: this.settings.clientAuth !== "password",
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => secure.destroy(), TLS_HANDSHAKE_TIMEOUT_MS);
    secure.once("secure", () => {
      clearTimeout(timer);
      this.secure = true;
      this.log.debug({ protocol: secure.getProtocol(), cipher: secure.getCipher().name }, "control connection secured");
      if (this.settings.clientAuth !== "password") this.checkClientCertificate(secure);
      onSecure?.();
    });
    secure.on("error", (error) => {
      clearTimeout(timer);
      this.log.info({ err: error.message }, "control TLS failed; closing");
      secure.destroy();
    });
    secure.once("close", () => {
      clearTimeout(timer);
      plain.destroy();
    });
    this.socket = secure;
    this.readingPaused = false;
    this.attach(secure);
  }

  /**
   * Reads the client certificate of a finished handshake. It must have passed
   * the port's trust store (CA bundle, CRLs, validity dates, and OpenSSL's
   * purpose check: a certificate whose extended key usage excludes TLS client
   * authentication fails). An absent one is fine on a "request" port; a bad one
   * is never ignored: the session may not log in (530), whatever the password.
   */
  private checkClientCertificate(secure: TLSSocket): void {
    const peer = secure.getPeerX509Certificate();
    const port = this.portAlias;
    if (!peer) {
      this.deps.metrics.clientCertificates.inc({ port, result: "absent" });
      this.log.info({ required: this.settings.clientAuth === "require" }, "no client certificate");
      return;
    }
    const oneLine = (name: string) => name.replaceAll("\n", ", ");
    const problem = peerVerifyError(secure);
    if (problem) {
      this.certificateRefusal = problem;
      this.deps.metrics.clientCertificates.inc({ port, result: "refused" });
      this.log.warn({ reason: problem, subject: oneLine(peer.subject), issuer: oneLine(peer.issuer), fingerprint: peer.fingerprint256 }, "client certificate refused");
      return;
    }
    this.certificateRefusal = undefined;
    this.clientCertificate = peer.raw;
    this.deps.metrics.clientCertificates.inc({ port, result: "accepted" });
    this.log.info({ subject: oneLine(peer.subject), fingerprint: peer.fingerprint256 }, "client certificate verified");
  }

  /**
   * Where a path argument points for this user: their root (their home, or the
   * port's default root) and the path resolved against the current folder.
   * Throws WHARF_PERMISSION_DENIED (550) unless the user may `need` there.
   */
  location(argument: string, need: Permission): StorageLocation {
    if (!this.user) throw new WharfError("WHARF_PERMISSION_DENIED", "not logged in");
    const path = resolveVirtualPath(this.cwd, argument);
    if (!this.may(path, need)) {
      this.log.info({ path, need }, "permission denied");
      throw new WharfError("WHARF_PERMISSION_DENIED", `no ${need} permission`);
    }
    return { root: this.settings.userDirectory ? this.user.home : this.settings.defaultRoot, path };
  }

  /** Whether the logged-in user may `need` at a resolved virtual path (their folder permissions). */
  may(path: string, need: Permission): boolean {
    return this.user !== undefined && permits(this.user.permissions, path, need);
  }

  /** Drops the passive port or the active target, if any. */
  resetDataEndpoint(): void {
    this.dataEndpoint?.discard();
    this.dataEndpoint = undefined;
  }

  /**
   * Takes the data connection for a transfer: waits for the client's connection
   * to the passive port (or, in active mode, connects to the client), sends the 1xx, then (PROT P) waits for its TLS
   * handshake. The 150 goes out before the handshake is awaited, because some
   * clients (ftplib, lftp) start TLS only after the 150 while others (curl,
   * basic-ftp) start it at once. Replies 425/522 itself and returns undefined
   * when there is no usable connection.
   *
   * `precheck` is the caller's own check already running (storage accepting
   * an upload). It overlaps the client's connect and early TLS handshake, and
   * is awaited before the 150; when it refuses, `refuse` answers instead of
   * the 150 (or of a 425: a refusal always wins, as if it had come first).
   */
  async openDataConnection(preliminary: string, direction: "upload" | "download" = "download", precheck?: DataPrecheck): Promise<DataConnection | undefined> {
    /** True (and answered) when the precheck refused. */
    const refused = async () => {
      const refusal = await precheck?.refusal;
      if (refusal) precheck?.refuse(refusal);
      return refusal !== undefined;
    };
    const endpoint = this.dataEndpoint;
    this.dataEndpoint = undefined;
    if (!endpoint) {
      if (!(await refused())) this.reply(425, this.settings.activeMode ? "Use PORT, EPRT, PASV or EPSV first." : "Use PASV or EPSV first.");
      return undefined;
    }
    const refusedEarly = precheck
      ? precheck.refusal.then((refusal) => (refusal ? "refused" : new Promise<never>(() => undefined)))
      : new Promise<never>(() => undefined);
    let raw: Socket;
    this.acceptingData = endpoint;
    try {
      const first = await Promise.race([endpoint.accept(this.settings.dataTimeoutMs), refusedEarly]);
      if (first === "refused") {
        endpoint.discard();
        await refused();
        return undefined;
      }
      raw = first;
    } catch {
      endpoint.discard();
      if (!(await refused())) this.reply(425, "Can't open data connection.");
      return undefined;
    } finally {
      this.acceptingData = undefined;
    }
    endpoint.close();
    if (this.ended) {
      raw.destroy();
      return undefined;
    }
    let secureContext: SecureContext | undefined;
    try {
      secureContext = this.protection === "P" ? this.sessionTls?.data() : undefined;
    } catch (error) {
      raw.destroy();
      this.log.error({ err: error }, "data TLS context could not be made");
      if (!(await refused())) this.reply(425, "Can't open data connection.");
      return undefined;
    }
    const { connection, ready } = prepareDataConnection(raw, {
      secureContext,
      sessions: this.deps.tls.dataSessions,
      direction,
      timeoutMs: this.settings.dataTimeoutMs,
      log: this.log,
    });
    this.track(connection.socket);
    if (await refused()) {
      connection.socket.destroy();
      return undefined;
    }
    this.reply(150, preliminary);
    const { failure, resumed } = await ready();
    if (failure) {
      this.log.info({ reason: failure }, "data connection TLS negotiation failed");
      this.reply(522, "Data connection TLS negotiation failed.");
      return undefined;
    }
    if (connection.tls) {
      // RFC 4217 §10.2 and vsftpd's require_ssl_reuse: a data connection that did not resume this
      // session's TLS session may come from someone else who guessed the port.
      const refused = !resumed && this.settings.requireTlsSessionReuse;
      this.deps.metrics.dataTls.inc({ port: this.portAlias, resumed: String(resumed), outcome: refused ? "refused" : "accepted" });
      if (refused) {
        this.log.info("data connection refused: its TLS session did not resume the control session");
        this.reply(522, "TLS session of data connection not resumed; session reuse required.");
        refuseUnresumed(connection.socket);
        return undefined;
      }
      if (!resumed) this.log.warn("data connection accepted without TLS session reuse (relaxed on this port)");
    }
    return connection;
  }

  private track(socket: Socket): void {
    this.dataSockets.add(socket);
    socket.once("close", () => this.dataSockets.delete(socket));
  }

  private attach(socket: Socket): void {
    socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    socket.on("drain", () => this.updateFlow());
    socket.once("end", () => this.markControlEnded());
    socket.on("error", (error) => this.log.debug({ err: error.message }, "control connection error"));
  }

  private transferInProgress(): boolean {
    return this.dataSockets.size > 0 || this.acceptingData !== undefined;
  }

  /** Cuts the running transfer: its data connection goes, and the transfer command answers 426. */
  private abortTransfer(): void {
    this.log.info("transfer aborted by ABOR");
    this.acceptingData?.discard();
    for (const data of this.dataSockets) data.destroy();
  }

  /** Reads the control connection only while the mailbox is short and our replies are being read. */
  private updateFlow(): void {
    if (this.ended) return;
    const hold = this.mailbox.length >= MAX_QUEUED_COMMANDS || this.socket.writableNeedDrain;
    if (hold && !this.readingPaused) {
      this.readingPaused = true;
      this.socket.pause();
    } else if (!hold && this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    }
  }

  private onBytes(chunk: Buffer): void {
    if (this.ended || this.awaitingTls) return;
    for (const item of this.framer.push(chunk)) {
      if (item.kind === "too-long") {
        this.tooLongLines += 1;
        if (this.tooLongLines > 1) {
          this.closeWith(421, "Command line too long; closing.", "protocol");
          return;
        }
        this.enqueue({ verb: "\0TOO_LONG", argument: "" });
        continue;
      }
      const command = parseCommand(item.bytes) ?? { verb: "\0BAD_UTF8", argument: "" };
      if (this.running && this.transferInProgress()) {
        // Out of band while a transfer runs (RFC 959): ABOR cuts it now (its 226 follows the transfer's 426);
        // STAT answers at once instead of waiting for the transfer to end.
        if (command.verb === "ABOR") this.abortTransfer();
        if (command.verb === "STAT" && !command.argument) {
          this.reply(213, "Status: a data transfer is in progress.");
          continue;
        }
      }
      if (command.verb === "AUTH" && !this.secure && this.settings.tlsMode === "explicit" && isTlsMechanism(command.argument)) {
        // Nothing after AUTH TLS may be read in the clear: drop what follows until the handler switches to TLS.
        // (Set before enqueueing: the handler may run, and switch, synchronously inside enqueue.)
        this.awaitingTls = true;
        this.framer.reset();
        this.enqueue(command);
        return;
      }
      this.enqueue(command);
    }
    if (this.mailbox.length > MAX_PIPELINED_COMMANDS) {
      this.closeWith(421, "Too many commands without waiting for replies; closing.", "protocol");
      return;
    }
    this.updateFlow();
  }

  private enqueue(command: ParsedCommand): void {
    this.mailbox.push(command);
    if (!this.running) void this.drainMailbox();
  }

  private async drainMailbox(): Promise<void> {
    this.running = true;
    try {
      // While the listener drains, no command starts after the one running.
      for (let command = this.mailbox.shift(); command && !this.ended && !this.draining; command = this.mailbox.shift()) {
        this.touch();
        await this.dispatch(command);
        this.updateFlow();
      }
    } finally {
      this.running = false;
      if (this.draining && !this.ended) this.closeWith(421, "Service shutting down.", "shutdown");
    }
  }

  /**
   * The listener is stopping: an idle session gets 421 at once; one whose
   * command is running (a transfer) gets it once that command has answered
   * (its 226), and no command starts after it. Resolves when the session is
   * closed.
   */
  drain(): Promise<void> {
    this.draining = true;
    if (!this.running) this.closeWith(421, "Service shutting down.", "shutdown");
    return this.closed;
  }

  private async dispatch({ verb, argument }: ParsedCommand): Promise<void> {
    if (verb === "\0TOO_LONG") return this.reply(500, "Command line too long.");
    if (verb === "\0BAD_UTF8") return this.reply(501, "Command is not valid UTF-8.");
    const command = this.deps.commands.get(verb);
    this.deps.metrics.commands.inc({ port: this.portAlias, command: command ? verb : "OTHER" });
    if (!command) return this.reply(500, "Unknown command.");
    if (!command.beforeLogin && !this.user) return this.reply(530, "Please login with USER and PASS.");
    // Storage refuses a session whose grant has ended (12 h after its login): end it plainly, as an idle
    // timeout would, rather than answer each command with storage's refusal.
    if (this.grantExpiresAt !== undefined && (this.deps.now ?? Date.now)() >= this.grantExpiresAt) {
      return this.closeWith(421, "Session expired; log in again.", "session_expired");
    }
    // One span per command: auth requests and storage calls made by the handler become its children.
    // After login each command's span links to the login's trace: auth acts once per session, at PASS,
    // so a file's trace (STOR → storage → file.stored → push) reaches auth by this link.
    const links = this.loginTrace ? [{ context: this.loginTrace, attributes: { "wharf.link": "login" } }] : [];
    // Each command starts its own trace (ROOT_CONTEXT): the socket's callbacks would otherwise carry the
    // context of the command that set them up (AUTH's TLS upgrade), making a whole session one trace.
    await tracer.startActiveSpan(`ftp ${command.verb}`, { attributes: { "ftp.session_id": this.id, "ftp.port": this.portAlias }, links }, ROOT_CONTEXT, async (span) => {
      try {
        await command.run(this, argument);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        this.log.debug({ verb, err: error }, "command failed");
        this.replyError(error);
      } finally {
        span.end();
      }
    });
    // RNFR counts only for the command right after it (RFC 959). A REST offset lasts until the next
    // transfer uses it, as in vsftpd and ProFTPD: clients send PASV/EPSV or TYPE between REST and RETR.
    if (command.verb !== "RNFR") this.renameFrom = undefined;
    if (TRANSFER_VERBS.has(command.verb)) this.restOffset = 0;
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    if (!this.user) return;
    this.idleTimer = setTimeout(() => {
      // A transfer in progress is not idleness.
      if (this.running) return this.touch();
      this.closeWith(421, "Timeout.", "idle_timeout");
    }, this.settings.idleTimeoutMs);
  }

  private cleanup(): void {
    this.ended = true;
    this.markClosed();
    this.markControlEnded();
    this.acceptingData?.discard();
    clearTimeout(this.loginTimer);
    clearTimeout(this.idleTimer);
    this.resetDataEndpoint();
    for (const data of this.dataSockets) data.destroy();
    this.deps.metrics.sessionsActive.dec({ port: this.portAlias });
    void this.releaseUserSession?.();
    // Closed without a reason of ours: the client went away (or its connection failed).
    this.deps.metrics.sessionsClosed.inc({ port: this.portAlias, reason: this.closeReason ?? "client" });
    this.log.info({ reason: this.closeReason ?? "client" }, "session closed");
  }
}
