import type { EventEmitter } from "node:events";
import type { Server, Socket } from "node:net";
import { Duplex } from "node:stream";
import { type SecureContext, TLSSocket } from "node:tls";

/** How the client ended an upload's data stream. */
export type StreamEnd = "close_notify" | "fin" | "reset" | "open";

export interface UploadTls {
  socket: TLSSocket;
  /** How the stream ended, judged once the TLS socket has ended or failed. */
  streamEnd(tlsEndedCleanly: boolean): StreamEnd;
}

/**
 * Wraps an upload's data connection in TLS through a JavaScript stream bridge
 * instead of handing Node the raw TCP handle. The reason is what Node does
 * otherwise: with the native wrap, a TCP reset, a bare FIN and a close_notify
 * all surface as the same clean end of the TLS stream, so a cut upload would
 * look complete. Through the bridge the TCP events stay visible: a reset is an
 * error on the raw socket, and a close_notify is told from a bare FIN by
 * whether the TLS layer had already ended when TCP's FIN arrived (a
 * close_notify is data, processed synchronously as it is pushed into TLS).
 * When TCP ends while bytes still wait in the bridge (TLS applying
 * backpressure) the end is judged a FIN: wrong only in the safe direction.
 */
export function wrapUploadTls(raw: Socket, secureContext: SecureContext, sessions: EventEmitter): UploadTls {
  let tcpEnded = false;
  let reset = false;
  const bridge = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      raw.write(chunk, callback);
    },
    final(callback) {
      raw.end();
      callback();
    },
    destroy(error, callback) {
      raw.destroy();
      callback(error);
    },
  });
  raw.on("data", (chunk: Buffer) => {
    if (!bridge.push(chunk)) raw.pause();
  });
  let closeNotify = false;
  raw.once("end", () => {
    tcpEnded = true;
    // Readable state is the only place Node records that TLS pushed its end; pinned by the upload tests.
    closeNotify = bridge.readableLength === 0 && (socket as unknown as { _readableState: { ended: boolean } })._readableState.ended;
    bridge.push(null);
  });
  raw.once("error", (error) => {
    reset = true;
    bridge.destroy(error);
  });
  const socket = new TLSSocket(bridge as unknown as Socket, { isServer: true, secureContext, server: sessions as unknown as Server });
  return {
    socket,
    streamEnd: (tlsEndedCleanly) => {
      if (reset || !tlsEndedCleanly) return "reset";
      // TLS ended while TCP is still open: only a close_notify does that.
      if (!tcpEnded) return "close_notify";
      return closeNotify ? "close_notify" : "fin";
    },
  };
}
