import type { EventEmitter } from "node:events";
import type { Server, Socket } from "node:net";
import { type SecureContext, TLSSocket } from "node:tls";
import type { Logger } from "@wharf/telemetry";
import { type StreamEnd, wrapUploadTls } from "./upload-tls.js";

/** A data connection ready for bytes: TLS already negotiated when PROT P is on. */
export interface DataConnection {
  socket: Socket;
  tls: boolean;
  /** For uploads: how the client ended the stream, given whether reading it ended cleanly. */
  streamEnd(endedCleanly: boolean): StreamEnd;
}

export interface DataChannelOptions {
  /** PROT P: the data connection speaks TLS with the session's data context. */
  secureContext: SecureContext | undefined;
  /** The port's session cache for data connections (resumes, never stores). */
  sessions: EventEmitter;
  direction: "upload" | "download";
  /** Time for the TLS handshake, and the longest silence of a running transfer. */
  timeoutMs: number;
  log: Logger;
}

/**
 * Wraps an accepted data socket for one transfer, at once, so a client that
 * starts its TLS handshake before the 150 (curl, basic-ftp) is served while
 * the caller sends the 150. Uploads over TLS go through the stream bridge that
 * tells a reset, a FIN and a close_notify apart. `ready()` resolves undefined
 * once the connection is usable, or the reason it is not.
 */
export function prepareDataConnection(raw: Socket, { secureContext, sessions, direction, timeoutMs, log }: DataChannelOptions) {
  let reset = false;
  raw.once("error", () => {
    reset = true;
  });
  const plainEnd = (clean: boolean): StreamEnd => (reset ? "reset" : clean ? "fin" : "open");
  const upload = secureContext && direction === "upload" ? wrapUploadTls(raw, secureContext, sessions) : undefined;
  const socket = upload?.socket ?? (secureContext ? new TLSSocket(raw, { isServer: true, secureContext, server: sessions as unknown as Server }) : raw);
  socket.on("error", () => undefined);
  const connection: DataConnection = { socket, tls: secureContext !== undefined, streamEnd: upload ? upload.streamEnd : plainEnd };

  // Watched from the start: an early client (curl, basic-ftp) may finish its handshake before ready() is called.
  const handshaken = secureContext ? handshake(socket as TLSSocket) : Promise.resolve(undefined);

  /**
   * Resolves once the connection is usable: the reason it is not, and whether TLS resumed the control
   * session. The handshake gets `timeoutMs` from this call (after the 150), not from the connect.
   */
  const ready = async (): Promise<{ failure?: string; resumed: boolean }> => {
    let timer: NodeJS.Timeout | undefined;
    const failure = await Promise.race([handshaken, new Promise<string>((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)))]);
    clearTimeout(timer);
    if (failure) {
      socket.destroy();
      return { failure, resumed: false };
    }
    // A transfer with no byte in either direction for the timeout is cut (426), not left hanging.
    socket.setTimeout(timeoutMs, () => {
      log.info({ timeoutMs }, "data connection stalled; closing it");
      socket.destroy(new Error("data connection stalled"));
    });
    // The passive server accepts paused (a TLS wrap reads by itself). A plain upload is read by its
    // consumer's iterator, which starts the socket; making it flow before that (as this once did, at
    // accept) drops whatever the client sent meanwhile. A plain download only watches for the client's close.
    if (!secureContext && direction === "download") raw.resume();
    return { resumed: secureContext ? (socket as TLSSocket).isSessionReused() : false };
  };
  return { connection, ready };
}

/**
 * Refuses a data connection that did not resume its control session: 522 first,
 * then the connection is drained and closed. Destroying it at once made stock
 * ftplib raise an SSL error and read every later reply one behind; ending it
 * without reading hung a large upload on TCP backpressure.
 */
export function refuseUnresumed(socket: Socket): void {
  socket.resume();
  socket.end();
  setTimeout(() => socket.destroy(), 2_000).unref();
}

function handshake(socket: TLSSocket): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (why: string | undefined) => () => resolve(why);
    socket.once("secure", done(undefined));
    // A client that sends its Finished and close_notify at once (an empty upload) can make
    // Node end the socket before it emits 'secure'; a negotiated protocol at 'end' proves the handshake.
    socket.once("end", () => done(socket.getProtocol() ? undefined : "closed before the TLS handshake")());
    socket.once("error", (error) => done(`error ${error.message}`)());
    socket.once("close", done("closed"));
  });
}
