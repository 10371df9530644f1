import type { EventEmitter } from "node:events";
import type { ServerHttp2Session } from "node:http2";
import { type handleServerStreamingCall, type handleUnaryCall, Server, ServerCredentials } from "@grpc/grpc-js";
import type { NatsConnection } from "@wharf/bus";
import { type storage, storageWireService, toGrpcStatus } from "@wharf/contracts";
import type { CallerGate } from "./caller-gate.js";
import type { Logger } from "@wharf/telemetry";
import type { Failpoint, FileStore } from "./file-store.js";
import { createChecksumHandler } from "./handlers/checksum.js";
import { createDeleteHandler } from "./handlers/delete.js";
import { createListHandler } from "./handlers/list.js";
import { createMkdirHandler } from "./handlers/mkdir.js";
import { createReadHandler } from "./handlers/read.js";
import { createRenameHandler } from "./handlers/rename.js";
import { createRmdirHandler } from "./handlers/rmdir.js";
import { createSetModifiedTimeHandler } from "./handlers/set-modified-time.js";
import { createStatHandler } from "./handlers/stat.js";
import { createWriteHandler } from "./handlers/write.js";
import type { StorageMetrics } from "./metrics.js";
import type { FileMetadataStore } from "./file-metadata.js";
import type { UsageLedger } from "./usage.js";

export interface StorageServiceDeps {
  store: FileStore;
  nc: NatsConnection;
  log: Logger;
  metrics: StorageMetrics;
  /** An upload stream with no message for this long is aborted. */
  uploadIdleTimeoutMs: number;
  /** Crash tests only: stops the process at a step of a commit. */
  failpoint?: Failpoint;
  /** Bytes and files per root (the wharf_usage bucket), for quotas. */
  usage: UsageLedger;
  /** What storage records about each committed version (the wharf_files bucket). */
  files: FileMetadataStore;
  /** Mutual TLS (the internal CA, storage's certificate and key, PEM): callers must present a certificate from that CA. */
  tls?: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;
  /** Who may act on which root (caller-gate.ts); none: anyone who reaches the port. */
  gate?: CallerGate | undefined;
}

export interface StorageService {
  /** The bound address, host:port. */
  readonly address: string;
  /** Stops taking calls; running calls get `graceMs` to finish, then are cancelled. */
  stop(graceMs: number): Promise<void>;
}

/** A request that names its root: a location, or (a rename) where it moves from. */
type Rooted = { location?: storage.Location | undefined } | { from?: storage.Location | undefined };
const rootOf = (request: Rooted): string => ("location" in request ? request.location?.root : "from" in request ? request.from?.root : undefined) ?? "";

/** Binds the gRPC server and wires each StorageService method to its handler. */
export async function startStorageService(address: string, deps: StorageServiceDeps): Promise<StorageService> {
  const server = new Server({ "grpc.max_receive_message_length": 8 * 1024 * 1024 });
  const gate: CallerGate = deps.gate ?? (() => undefined);
  // Every call is checked against the root it names before its handler runs; an upload's, when its header comes.
  const unaryGated = <Req extends Rooted, Res>(handler: handleUnaryCall<Req, Res>): handleUnaryCall<Req, Res> => (call, callback) => {
    try {
      gate(call, rootOf(call.request));
    } catch (error) {
      callback(toGrpcStatus(error));
      return;
    }
    handler(call, callback);
  };
  const streamGated = <Req extends Rooted, Res>(handler: handleServerStreamingCall<Req, Res>): handleServerStreamingCall<Req, Res> => (call) => {
    try {
      gate(call, rootOf(call.request));
    } catch (error) {
      call.emit("error", toGrpcStatus(error));
      return;
    }
    handler(call);
  };
  const implementation: storage.StorageServiceServer = {
    write: createWriteHandler({ ...deps, gate }),
    read: streamGated(createReadHandler(deps)),
    stat: unaryGated(createStatHandler(deps)),
    list: streamGated(createListHandler(deps)),
    mkdir: unaryGated(createMkdirHandler(deps)),
    delete: unaryGated(createDeleteHandler(deps)),
    rmdir: unaryGated(createRmdirHandler(deps)),
    rename: unaryGated(createRenameHandler(deps)),
    setModifiedTime: unaryGated(createSetModifiedTimeHandler(deps)),
    checksum: unaryGated(createChecksumHandler(deps)),
  };
  server.addService(storageWireService, implementation);
  // With TLS, gRPC itself refuses a caller without a client certificate signed by the internal CA (the
  // handshake fails: no call is made); the gate then checks what that caller may do.
  const credentials = deps.tls ? ServerCredentials.createSsl(deps.tls.ca, [{ cert_chain: deps.tls.cert, private_key: deps.tls.key }], true) : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  widenReceiveWindows(server);
  const host = address.slice(0, address.lastIndexOf(":"));
  return {
    address: `${host}:${port}`,
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/**
 * Per-stream HTTP/2 receive window for uploads (Node's default is 64 KiB). It is
 * also what one upload can make storage hold when the disk is slower than the
 * client: 2 MiB × 500 uploads is 1 GiB at most.
 */
const RECEIVE_WINDOW_BYTES = 2 * 1024 * 1024;
/** For all streams of a connection together (each listener has one connection to storage). */
const CONNECTION_WINDOW_BYTES = 32 * 1024 * 1024;
/** Largest HTTP/2 frame a client may send (the default 16 KiB splits each 16 KiB chunk message in two, which grpc-js then concatenates). */
const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Raises the HTTP/2 receive windows of every connection to this server. With
 * Node's 64 KiB default, an upload stream can have only 64 KiB in flight, so its
 * speed is capped at 64 KiB per round trip (about 60-130 MB/s here). grpc-js
 * has a client option for this but no server one, so the windows are set on
 * each session as it opens, through the server's http2 servers (grpc-js 1.14
 * keeps them in `http2Servers`; the storage tests fail if that changes).
 */
function widenReceiveWindows(server: Server): void {
  const http2Servers = (server as unknown as { http2Servers?: Map<EventEmitter, unknown> }).http2Servers;
  if (!(http2Servers instanceof Map) || http2Servers.size === 0) throw new Error("grpc-js no longer exposes its http2 servers; update widenReceiveWindows");
  for (const http2Server of http2Servers.keys()) {
    http2Server.on("session", (session: ServerHttp2Session) => {
      try {
        session.settings({ initialWindowSize: RECEIVE_WINDOW_BYTES, maxFrameSize: MAX_FRAME_BYTES });
        session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      } catch {
        // The session closed before it could be tuned: nothing to tune.
      }
    });
  }
}
