import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { NatsConnection } from "@wharf/bus";
import { storage } from "@wharf/contracts";
import type { Logger } from "@wharf/telemetry";
import type { FileStore } from "./file-store.js";
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

export interface StorageServiceDeps {
  store: FileStore;
  nc: NatsConnection;
  log: Logger;
  metrics: StorageMetrics;
  /** An upload stream with no message for this long is aborted. */
  uploadIdleTimeoutMs: number;
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
  server.addService(storage.StorageServiceService, implementation);
  // Service-to-service traffic is plaintext on a trusted network for now; mTLS comes with the inside-security work.
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
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
