import { once } from "node:events";
import { type ClientReadableStream, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { context, propagation } from "@opentelemetry/api";
import type * as storage from "./gen/wharf/storage/v1/storage.js";
import { WharfError } from "./errors.js";
import { fromGrpcError } from "./grpc-errors.js";
import { metadataCarrier } from "./grpc-metadata.js";
import { GRANT_METADATA_KEY } from "./session-grant.js";
import { StorageWireClient } from "./storage-wire.js";

export interface StorageLocation {
  root: string;
  path: string;
}

/** An upload in flight: write chunks (with backpressure), then finish or cancel. */
export interface UploadStream {
  /** Resolves when the chunk may be followed by the next (gRPC's buffer has room). */
  write(chunk: Uint8Array): Promise<void>;
  /** Sends the end marker and waits for the commit; resolves with size and SHA-256. */
  finish(streamEnd: string): Promise<storage.WriteResponse>;
  /** Aborts the upload: storage removes the temp file and publishes nothing. */
  cancel(): void;
  /** Rejects as soon as storage refuses the upload (e.g. a bad path), even mid-stream. */
  readonly failed: Promise<never>;
  /**
   * Resolves once storage accepted the header (the folder exists, the name is
   * not a folder, a resume offset is in range); rejects with storage's reason.
   */
  readonly ready: Promise<void>;
}

/**
 * A promise-style client over the generated StorageService stubs: every call
 * carries the active trace context in its metadata, unary calls have a
 * deadline, and every error comes back as a WharfError.
 */
export interface StorageClient {
  /** One entry; with `preferPartial`, a kept partial upload of the name first (its size is where a resume continues). */
  stat(location: StorageLocation, options?: { preferPartial?: boolean }): Promise<storage.Entry>;
  list(location: StorageLocation): AsyncIterable<storage.Entry[]>;
  read(location: StorageLocation, offset?: number): AsyncIterable<Buffer>;
  mkdir(location: StorageLocation): Promise<void>;
  delete(location: StorageLocation): Promise<void>;
  rmdir(location: StorageLocation): Promise<void>;
  /** Moves a file or folder inside its root; with `noOverwrite`, a taken name is refused (WHARF_ALREADY_EXISTS). */
  rename(from: StorageLocation, toPath: string, options?: { noOverwrite?: boolean }): Promise<void>;
  setModifiedTime(location: StorageLocation, mtimeMs: number): Promise<void>;
  checksum(location: StorageLocation): Promise<storage.ChecksumResponse>;
  openUpload(header: storage.WriteHeader): UploadStream;
  /** Resolves once storage accepts connections, rejects after `timeoutMs` (for services that should not start work before it). */
  waitForReady(timeoutMs: number): Promise<void>;
  /** The same client (one channel) sending a session's grant with every call: what a listener uses for a logged-in partner. */
  withGrant(grant: string): StorageClient;
  close(): void;
}

/** Mutual TLS to storage (issue 9): the internal CA, and this service's certificate and key, PEM. */
export interface StorageTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * The gRPC target for one storage address, or several IPv4 ones ("10.0.0.5:50151,10.0.0.6:50151"), which
 * gRPC takes as an `ipv4:` list; one name may also resolve to several addresses.
 */
export function storageTarget(address: string): string {
  const addresses = address.split(",").map((part) => part.trim());
  return addresses.length < 2 ? address : `ipv4:${addresses.join(",")}`;
}

export function createStorageClient(
  address: string,
  { unaryDeadlineMs = 10_000, commitTimeoutMs = 120_000, tls }: { unaryDeadlineMs?: number; commitTimeoutMs?: number; tls?: StorageTls | undefined } = {},
): StorageClient {
  const channelCredentials = tls ? credentials.createSsl(tls.ca, tls.key, tls.cert) : credentials.createInsecure();
  const client = new StorageWireClient(storageTarget(address), channelCredentials, {
    // Calls spread over every storage instance the address names (several addresses, or a name with several
    // records), and skip one that is down or restarting: a rolling restart of storage fails no new transfer.
    "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    "grpc.max_receive_message_length": 8 * 1024 * 1024,
    // HTTP/2's default 64 KiB receive window throttles a streamed download (about 130 against 190 MB/s here).
    // 1 MiB is as fast as 16 MiB was, and bounds what a partner who stops reading can make this process hold
    // for its download (500 stalled downloads: 500 MiB, not 8 GiB); the slow-reader test shows it stalls no one else.
    "grpc-node.flow_control_window": 1024 * 1024,
  });
  return storageClientView(client, address, { unaryDeadlineMs, commitTimeoutMs });
}

function storageClientView(client: InstanceType<typeof StorageWireClient>, address: string, { unaryDeadlineMs, commitTimeoutMs, grant }: { unaryDeadlineMs: number; commitTimeoutMs: number; grant?: string }): StorageClient {
  const metadata = () => {
    const md = new Metadata();
    if (grant) md.set(GRANT_METADATA_KEY, grant);
    // With its setter: the default one would write a property on the carrier object, not call set().
    propagation.inject(context.active(), metadataCarrier(md), { set: (carrier, key, value) => carrier.set(key, value) });
    return md;
  };
  const deadline = () => ({ deadline: Date.now() + unaryDeadlineMs });

  type Unary<Req, Res> = (request: Req, md: Metadata, options: object, callback: (error: unknown, response: Res) => void) => unknown;
  const call = <Req, Res>(method: Unary<Req, Res>, request: Req) =>
    new Promise<Res>((resolve, reject) => {
      method.call(client, request, metadata(), deadline(), (error, response) => (error ? reject(fromGrpcError(error)) : resolve(response)));
    });

  async function* drain<T>(stream: ClientReadableStream<T>): AsyncGenerator<T> {
    try {
      for await (const message of stream) yield message as T;
    } catch (error) {
      throw fromGrpcError(error);
    } finally {
      stream.cancel();
    }
  }

  return {
    stat: async (location, { preferPartial = false } = {}) => {
      const response = await call<storage.StatRequest, storage.StatResponse>(client.stat, { location, preferPartial });
      if (!response.entry) throw fromGrpcError(new Error("stat returned no entry"));
      return response.entry;
    },
    list: (location) => {
      const stream = client.list({ location }, metadata());
      return (async function* () {
        for await (const page of drain(stream)) yield page.entries;
      })();
    },
    read: (location, offset = 0) => {
      const stream = client.read({ location, offset }, metadata());
      return (async function* () {
        for await (const message of drain(stream)) yield message.chunk;
      })();
    },
    mkdir: async (location) => void (await call(client.mkdir, { location })),
    delete: async (location) => void (await call(client.delete, { location })),
    rmdir: async (location) => void (await call(client.rmdir, { location })),
    rename: async (from, toPath, { noOverwrite = false } = {}) => void (await call(client.rename, { from, toPath, noOverwrite })),
    setModifiedTime: async (location, mtimeMs) => void (await call(client.setModifiedTime, { location, mtimeMs })),
    // A checksum reads the whole file: it gets the commit deadline, not the short unary one.
    checksum: (location) =>
      new Promise((resolve, reject) => {
        client.checksum({ location }, metadata(), { deadline: Date.now() + commitTimeoutMs }, (error, response) =>
          error ? reject(fromGrpcError(error)) : resolve(response),
        );
      }),
    openUpload: (header) => {
      let settle!: { resolve: (r: storage.WriteResponse) => void; reject: (e: unknown) => void };
      const result = new Promise<storage.WriteResponse>((resolve, reject) => {
        settle = { resolve, reject };
      });
      let accepted!: { resolve: () => void; reject: (e: unknown) => void };
      const ready = new Promise<void>((resolve, reject) => {
        accepted = { resolve, reject };
      });
      const stream = client.write(metadata());
      // Storage answers `ready` after the header, then the commit; an error status ends both.
      stream.on("data", (message: storage.WriteResponse) => (message.ready ? accepted.resolve() : settle.resolve(message)));
      stream.on("error", (error: ServiceError) => {
        const failure = fromGrpcError(error);
        accepted.reject(failure);
        settle.reject(failure);
      });
      // A call that ended well but never answered (no error event comes then): say so rather than hang.
      stream.on("status", () => {
        const failure = new WharfError("WHARF_UNAVAILABLE", "storage ended the upload without an answer");
        accepted.reject(failure);
        settle.reject(failure);
      });
      const failed = result.then(() => new Promise<never>(() => undefined));
      failed.catch(() => undefined);
      result.catch(() => undefined);
      ready.catch(() => undefined);
      // Accepting a header is quick; a storage that does not answer within the unary deadline is treated as down.
      const readyTimer = setTimeout(() => {
        accepted.reject(new WharfError("WHARF_DEADLINE_EXCEEDED", "storage did not accept the upload in time"));
        stream.cancel();
      }, unaryDeadlineMs);
      void ready.then(
        () => clearTimeout(readyTimer),
        () => clearTimeout(readyTimer),
      );
      stream.write({ header });
      return {
        ready,
        failed,
        write: async (chunk) => {
          if (!stream.write({ chunk: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) })) {
            await Promise.race([once(stream, "drain"), failed]);
          }
        },
        // The commit (fsync, rename, event) gets a deadline of its own: a hung storage must not hang the session.
        finish: async (streamEnd) => {
          stream.write({ end: { streamEnd } });
          stream.end();
          let timer: NodeJS.Timeout | undefined;
          const deadline = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              stream.cancel();
              reject(new WharfError("WHARF_DEADLINE_EXCEEDED", "storage did not commit the upload in time"));
            }, commitTimeoutMs);
          });
          try {
            return await Promise.race([result, deadline]);
          } finally {
            clearTimeout(timer);
          }
        },
        cancel: () => stream.cancel(),
      };
    },
    waitForReady: (timeoutMs) =>
      new Promise<void>((resolve, reject) =>
        client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(new WharfError("WHARF_UNAVAILABLE", `storage at ${address} is not reachable: ${error.message}`)) : resolve())),
      ),
    withGrant: (sessionGrant) => storageClientView(client, address, { unaryDeadlineMs, commitTimeoutMs, grant: sessionGrant }),
    close: () => client.close(),
  };
}
