import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { posix } from "node:path";
import { pipeline, type Readable, Transform } from "node:stream";
import type { ConnectionOptions, TLSSocket } from "node:tls";
import { Client, enterPassiveModeIPv4 } from "basic-ftp";
// Not re-exported by the package's index; the PASV variant that always connects to the control address.
import { enterPassiveModeIPv4_forceControlHostIP } from "basic-ftp/dist/transfer.js";
import type { EndpointConfig } from "@wharf/contracts";
import { SecretsError } from "@wharf/secrets";
import type { Logger } from "@wharf/telemetry";
import { hasControlCharacter } from "./names.js";
import { readSecret, type SecretSource } from "./secrets.js";

/** Why a push failed, and whether trying again can help (a wrong pin or a refused login will not). */
export class PushError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "PushError";
  }
}

/**
 * The stored file is no longer the version the event announced (replaced
 * since, e.g. before a late retry or a dead-letter replay): its bytes were
 * not put under the final name. The newer version has its own event.
 */
export class SourceChangedError extends PushError {
  constructor(message: string) {
    super(message, false);
    this.name = "SourceChangedError";
  }
}

export interface PushRequest {
  endpoint: EndpointConfig;
  /** The file's name at the partner, inside the endpoint's remote folder. */
  name: string;
  /** The bytes, read as the partner takes them. */
  source: () => Promise<Readable>;
  size: number;
  /** The stored SHA-256 (hex), compared with the partner's when it offers HASH or XSHA256. */
  sha256: string;
  /** Makes the temporary name unique to this version. */
  uploadId: string;
  /**
   * An earlier try of this version died between its upload and its bookkeeping: look at the partner first,
   * and when the file is there as this version left it (its temporary name gone, the final one with its
   * size, and its SHA-256 when the partner offers one), it is delivered: nothing is sent again.
   */
  lookFirst?: boolean;
  /** Called just before the file takes its final name (the rename, or the upload without a temporary name). */
  beforeFinalName?: () => Promise<void>;
}

export interface PushResult {
  remotePath: string;
  tlsVersion: string | undefined;
  /** The partner's last reply (its 226, or the rename's 250). */
  reply: string;
  /** What the partner confirmed it holds: the size (SIZE), and the SHA-256 too when it offers HASH or XSHA256. */
  verified: "size" | "sha256" | "none";
  /** Found at the partner, put there by an earlier try that died before it could record it (see lookFirst). */
  alreadyThere?: boolean;
}

/**
 * Delivers one file over a logged-in session with its partner (see
 * openSession: TLS checked, PROT P, binary): the remote folder, an upload
 * under a temporary name, a rename, and a check of what the partner holds
 * (SIZE, and HASH or XSHA256 when offered). The caller owns the session: it
 * may serve the next delivery once this one resolved; after a rejection its
 * connection may be in the middle of a reply and is to be closed.
 */
export async function pushFile(
  { endpoint, name, source, size, sha256, uploadId, lookFirst = false, beforeFinalName }: PushRequest,
  session: { client: Client; tlsVersion: string | undefined; features?: Map<string, string> },
): Promise<PushResult> {
  const { client, tlsVersion } = session;
  // Storage paths never hold these, but a name is also an FTP command's argument: refuse before sending anything.
  if (hasControlCharacter(name)) throw new PushError("the file name holds a control character; it cannot be sent over FTP", false);
  try {
    const folder = endpoint.remoteFolder;
    if (folder !== "/") await client.ensureDir(folder);
    else await client.cd("/");
    const remotePath = posix.join(folder, name);
    const temporary = endpoint.temporaryName ? `.${name}.${uploadId}.part` : name;
    if (lookFirst && temporary !== name) {
      const there = await deliveredBefore(client, session, { name, temporary, size, sha256 });
      if (there) return { remotePath, tlsVersion, reply: "the file was already at the partner", verified: there, alreadyThere: true };
    }
    let reply: string;
    let sent: ReturnType<typeof hashed> | undefined;
    try {
      if (temporary === name) await beforeFinalName?.();
      sent = hashed(await source());
      const uploaded = await client.uploadFrom(sent.stream, temporary);
      reply = `${uploaded.code} ${uploaded.message}`;
      // Storage is read by path: what it sent must be the version this delivery is for, checked before the rename.
      const digest = sent.digest();
      if (sent.bytes() !== size || digest !== sha256) {
        throw new SourceChangedError(`the stored file changed since this version (${sent.bytes()} bytes, SHA-256 ${digest}); a newer version has its own delivery`);
      }
      if (temporary !== name) {
        await beforeFinalName?.();
        const renamed = await client.rename(temporary, name);
        reply = `${renamed.code} ${renamed.message}`;
      }
    } catch (error) {
      // A cut upload or a refused rename leaves the temporary file at the partner (vsftpd keeps partial
      // uploads): remove it while the session still works, so a dead-lettered delivery leaves nothing behind.
      // A later try overwrites the same name anyway. Without a temporary name, a partial final file is the
      // partner's to keep or remove: it may be an earlier, whole version that was being replaced.
      if (temporary !== name) await client.remove(temporary, true).catch(() => undefined);
      // A transfer that failed before reading to the end leaves storage's read open: end it.
      sent?.stream.destroy();
      throw error;
    }
    const remoteSize = await client.size(name).catch(() => undefined);
    if (remoteSize !== undefined && remoteSize !== size) throw new PushError(`the partner holds ${remoteSize} bytes of ${name}, not ${size}`, true);
    // FEAT once per session: what a partner offers does not change while it is logged in.
    session.features ??= await client.features().catch(() => new Map<string, string>());
    // The file is under its name now: a check that cannot be made (the connection dropped, a slow HASH timed
    // out) is reported as not made, never a reason to upload the whole file again.
    const remoteSha256 = await remoteHash(client, name, session.features).catch(() => undefined);
    if (remoteSha256 !== undefined && remoteSha256 !== sha256) throw new PushError(`the partner's SHA-256 of ${name} is ${remoteSha256}, not the stored ${sha256}`, true);
    return { remotePath, tlsVersion, reply, verified: remoteSha256 !== undefined ? "sha256" : remoteSize !== undefined ? "size" : "none" };
  } catch (error) {
    if (error instanceof PushError) throw error;
    throw new PushError(message(error), true, { cause: error });
  }
}

/** Passes a stream through, counting and hashing what goes by. */
function hashed(source: Readable): { stream: Readable; bytes(): number; digest(): string } {
  const hash = createHash("sha256");
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      done(null, chunk);
    },
  });
  // pipeline, not pipe: a destroyed destination (the partner cut the upload) also ends the source's read.
  pipeline(source, stream, () => undefined);
  return { stream, bytes: () => bytes, digest: () => hash.digest("hex") };
}

/**
 * A logged-in session with a partner, as deliveries and pulls use it: the
 * certificate checked before the user name is sent, then PBSZ 0 and PROT P
 * (required: basic-ftp alone sends them ignoring errors, and a partner that
 * refused PROT P would get the file in the clear), binary mode. The caller
 * closes the client. A sealed secret that does not open here (no keyring, a
 * key it lacks) fails at once, not retryable: trying again cannot help until
 * the keyring or the endpoint changes.
 */
export async function openSession(endpoint: EndpointConfig, log: Pick<Logger, "warn">, secrets: SecretSource): Promise<{ client: Client; tlsVersion: string | undefined }> {
  const client = new Client(endpoint.timeoutMs, { allowSeparateTransferHost: !endpoint.quirks.passiveAddressFromControl });
  // Without EPSV, PASV only (basic-ftp tries EPSV first and remembers what worked).
  if (!endpoint.quirks.epsv) client.prepareTransfer = endpoint.quirks.passiveAddressFromControl ? enterPassiveModeIPv4_forceControlHostIP : enterPassiveModeIPv4;
  try {
    // The password before the connection: one that cannot be read fails before anything is sent.
    const password = endpoint.password ? await readSecret(endpoint.password, { endpoint, field: "password" }, secrets) : "";
    const tlsVersion = await connectToEndpoint(client, endpoint, log, secrets);
    await client.login(endpoint.user, password).catch((error: unknown) => {
      throw new PushError(`the partner refused the login: ${message(error)}`, !isFinalLoginRefusal(error), { cause: error });
    });
    if (endpoint.tls !== "none") {
      await client.send("PBSZ 0");
      await client.send("PROT P");
    }
    await client.send("TYPE I");
    return { client, tlsVersion };
  } catch (error) {
    client.close();
    if (error instanceof PushError) throw error;
    if (error instanceof SecretsError) throw new PushError(error.message, false, { cause: error });
    throw new PushError(message(error), true, { cause: error });
  }
}

/**
 * Whether a failed login is one another try cannot change: the partner's 530.
 * A timeout, a reset or a 421 ("too many connections") is tried again; so is a
 * 530 that speaks of connections or load (ProFTPD answers "530 Sorry, the
 * maximum number of clients … has been reached").
 */
export function isFinalLoginRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 530 && !/too many|maximum number|connections|try again|later/i.test(message(error));
}

/**
 * Whether an earlier try of this version got the file to its final name before it died: its temporary name
 * is gone (renamed, since the upload had ended when the try was about to rename) and the final name has the
 * version's size, and its SHA-256 when the partner offers HASH or XSHA256. Resolves with how it was checked.
 */
async function deliveredBefore(
  client: Client,
  session: { features?: Map<string, string> },
  { name, temporary, size, sha256 }: { name: string; temporary: string; size: number; sha256: string },
): Promise<"size" | "sha256" | undefined> {
  if ((await client.size(temporary).catch(() => undefined)) !== undefined) return undefined;
  if ((await client.size(name).catch(() => undefined)) !== size) return undefined;
  session.features ??= await client.features().catch(() => new Map<string, string>());
  const remote = await remoteHash(client, name, session.features).catch(() => undefined);
  if (remote === undefined) return "size";
  return remote === sha256 ? "sha256" : undefined;
}

/**
 * The partner's SHA-256 of a file, when it offers one: HASH
 * (draft-bryan-ftpext-hash, "213 SHA-256 0-n hex name", after OPTS HASH
 * SHA-256) or the older XSHA256 ("213 hex"); undefined when it offers neither.
 */
async function remoteHash(client: Client, name: string, features: Map<string, string>): Promise<string | undefined> {
  if (features.has("HASH")) {
    const chosen = await client.sendIgnoringError("OPTS HASH SHA-256");
    if (chosen.code < 400) {
      const answer = await client.sendIgnoringError(`HASH ${name}`);
      const hex = /^213 SHA-256 \S+ ([0-9a-fA-F]{64})\b/.exec(answer.message)?.[1];
      if (hex) return hex.toLowerCase();
    }
  }
  if (features.has("XSHA256")) {
    const answer = await client.sendIgnoringError(`XSHA256 ${name}`);
    const hex = /^213 ([0-9a-fA-F]{64})\b/.exec(answer.message)?.[1];
    if (hex) return hex.toLowerCase();
  }
  return undefined;
}

/** Opens the control connection (with TLS as the endpoint says) and checks the partner's certificate; resolves with the TLS version. */
export async function connectToEndpoint(client: Client, endpoint: EndpointConfig, log: Pick<Logger, "warn">, secrets: SecretSource): Promise<string | undefined> {
  if (endpoint.tls === "none") {
    await client.connect(endpoint.host, endpoint.port);
    return undefined;
  }
  const options = await tlsOptions(endpoint, secrets);
  if (endpoint.trust.insecure) log.warn({ endpoint: endpoint.name }, "endpoint trusts any certificate (trust.insecure): its partner is not authenticated");
  if (endpoint.tls === "implicit") await client.connectImplicitTLS(endpoint.host, endpoint.port, options);
  else {
    await client.connect(endpoint.host, endpoint.port);
    await client.useTLS(options);
  }
  const socket = client.ftp.socket as TLSSocket;
  if (!endpoint.quirks.tlsSessionReuse) withoutSessionResumption(client, socket);
  if (endpoint.trust.fingerprint) {
    const presented = socket.getPeerX509Certificate?.();
    const fingerprint = presented ? presented.fingerprint256.replaceAll(":", "") : "";
    if (fingerprint !== endpoint.trust.fingerprint) {
      throw new PushError(`the partner's certificate (SHA-256 ${fingerprint || "none"}) is not the pinned one; nothing was sent`, false);
    }
  }
  return socket.getProtocol?.() ?? undefined;
}

/**
 * Makes the client's data connections full TLS handshakes (the
 * tlsSessionReuse quirk): basic-ftp offers a data connection the session of
 * the control connection, or the ticket the last data connection received,
 * with no option to turn that off, so both sources are emptied.
 */
export function withoutSessionResumption(client: Client, control: TLSSocket): void {
  control.getSession = () => undefined;
  Object.defineProperty(client.ftp, "tlsSessionStore", { get: () => undefined, set: () => undefined, configurable: true });
}

async function tlsOptions(endpoint: EndpointConfig, secrets: SecretSource): Promise<ConnectionOptions> {
  const options: ConnectionOptions = {
    host: endpoint.host,
    servername: /^[\d.]+$|:/.test(endpoint.host) ? undefined : endpoint.host,
    minVersion: "TLSv1.2",
    ...(endpoint.quirks.tls13 ? {} : { maxVersion: "TLSv1.2" }),
  };
  if (endpoint.trust.caFile) options.ca = await readFile(endpoint.trust.caFile);
  // A pinned certificate is checked by its fingerprint once connected (above), not against CAs: partners
  // pin self-signed certificates. Nothing is sent before that check.
  if (endpoint.trust.fingerprint || endpoint.trust.insecure) options.rejectUnauthorized = false;
  if (endpoint.clientCertificate) {
    const { cert, certFile, key, keyFile } = endpoint.clientCertificate;
    options.cert = cert ?? (await readFile(certFile as string));
    options.key = key ? await readSecret(key, { endpoint, field: "clientCertificate.key" }, secrets) : await readFile(keyFile as string);
  }
  return options;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
