import type { EventEmitter } from "node:events";
import type { ServerHttp2Session } from "node:http2";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { NatsConnection } from "@wharf/bus";
import { type storage, storageWireService } from "@wharf/contracts";
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
}

export interface StorageService {
  /** The bound address, host:port. */
  readonly address: string;
  /** Stops taking calls; running calls get `graceMs` to finish, then are cancelled. */
  stop(graceMs: number): Promise<void>;
}

/** Binds the gRPC server and wires each StorageService method to its handler. */
export async function startStorageService(address: string, deps: StorageServiceDeps): Promise<StorageService> {
  const server = new Server({ "grpc.max_receive_message_length": 8 * 1024 * 1024 });
  const implementation: storage.StorageServiceServer = {
    write: createWriteHandler(deps),
    read: createReadHandler(deps),
    stat: createStatHandler(deps),
    list: createListHandler(deps),
    mkdir: createMkdirHandler(deps),
    delete: createDeleteHandler(deps),
    rmdir: createRmdirHandler(deps),
    rename: createRenameHandler(deps),
    setModifiedTime: createSetModifiedTimeHandler(deps),
    checksum: createChecksumHandler(deps),
  };
  server.addService(storageWireService, implementation);
  // Service-to-service traffic is plaintext on a trusted network for now; mTLS comes with the inside-security work.
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
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
