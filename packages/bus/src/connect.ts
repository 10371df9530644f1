import { readFile } from "node:fs/promises";
import { connect } from "@nats-io/transport-node";
import { type Authenticator, type NatsConnection, nkeyAuthenticator, usernamePasswordAuthenticator } from "@nats-io/nats-core";
import { inboxPrefix, type NatsIdentity } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { BusMetrics } from "./metrics.js";
import { seedFileOf } from "./nats-identities.js";

export type { NatsConnection } from "@nats-io/nats-core";

export interface BusOptions {
  /** One or more nats:// URLs, comma separated. */
  url: string;
  /** Shown in the server's connection list (`nats server report connections`). */
  name: string;
  /** Whose permissions this connection has: it then uses that identity's own inboxes (see `inboxPrefix`). */
  identity?: NatsIdentity;
  credentials?: BusCredentials;
  /** How long the first connection may take (nats.js's default: 20 s). */
  connectTimeoutMs?: number;
}

/** How a service proves who it is to NATS, every secret by reference (a file), and TLS to NATS. */
export interface BusCredentials {
  /** A file holding the identity's nkey seed (SU…). */
  nkeyFile?: string | undefined;
  /** A folder of seeds, one per identity (`wharf nats init`): the connection's identity picks its own. */
  identityDir?: string | undefined;
  user?: string | undefined;
  passwordFile?: string | undefined;
  /** TLS to NATS: the CA that signed the server's certificate; a client certificate when the server asks for one. */
  tls?: { caFile: string; certFile?: string | undefined; keyFile?: string | undefined } | undefined;
}

/** Thrown when a credential file cannot be read: names the file and what to do. */
export class BusCredentialsError extends Error {
  override name = "BusCredentialsError";
}

async function secretFile(file: string, what: string): Promise<string> {
  try {
    const text = (await readFile(file, "utf8")).trim();
    if (text === "") throw new BusCredentialsError(`${what} ${file} is empty`);
    return text;
  } catch (error) {
    if (error instanceof BusCredentialsError) throw error;
    throw new BusCredentialsError(`${what} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

async function authenticator(identity: NatsIdentity | undefined, credentials: BusCredentials): Promise<Authenticator | undefined> {
  const nkeyFile = credentials.nkeyFile ?? (credentials.identityDir && identity ? seedFileOf(credentials.identityDir, identity) : undefined);
  if (nkeyFile) return nkeyAuthenticator(new TextEncoder().encode(await secretFile(nkeyFile, "the NATS nkey seed file")));
  if (credentials.user && credentials.passwordFile) return usernamePasswordAuthenticator(credentials.user, await secretFile(credentials.passwordFile, "the NATS password file"));
  return undefined;
}

/**
 * Connects to NATS and keeps reconnecting for as long as the process lives:
 * a restarting NATS node must not take a Wharf service down with it.
 * Connection state changes are logged.
 */
export async function connectBus({ url, name, identity, credentials = {}, connectTimeoutMs }: BusOptions, log: Logger, metrics?: Pick<BusMetrics, "connected" | "reconnects">): Promise<NatsConnection> {
  const auth = await authenticator(identity, credentials);
  const tls = credentials.tls;
  const nc = await connect({
    servers: url.split(",").map((server) => server.trim()),
    name,
    ...(identity ? { inboxPrefix: inboxPrefix(identity) } : {}),
    ...(connectTimeoutMs ? { timeout: connectTimeoutMs } : {}),
    ...(auth ? { authenticator: auth } : {}),
    ...(tls ? { tls: { caFile: tls.caFile, ...(tls.certFile && tls.keyFile ? { certFile: tls.certFile, keyFile: tls.keyFile } : {}) } } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // nats.js otherwise builds two Error objects (with stack traces) for every request and JetStream
    // publish, in case it times out: about 5 % of storage's CPU per small commit. A timeout still says
    // which subject it was; it only loses the caller's stack.
    noAsyncTraces: true,
  });
  const busLog = log.child({ component: "bus" });
  busLog.info({ server: nc.getServer() }, "connected to NATS");
  metrics?.connected.set(1);
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "ping") continue;
      if (status.type === "disconnect") metrics?.connected.set(0);
      if (status.type === "reconnect") {
        metrics?.connected.set(1);
        metrics?.reconnects.inc();
      }
      busLog.info({ status: status.type }, "NATS connection status");
    }
    metrics?.connected.set(0);
  })();
  return nc;
}
