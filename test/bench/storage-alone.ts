import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { connectBus, ensureStream } from "@wharf/bus";
import { createStorageClient, type StorageClient, streams } from "@wharf/contracts";
import { createStorageMetrics, createStorageParts, startStorageService } from "@wharf/storage";
import { createLogger, createMetricsRegistry } from "@wharf/telemetry";
import { startNatsServer } from "@wharf/testing";

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

async function upload(client: StorageClient, path: string, chunks: Iterable<Buffer>, id: string): Promise<void> {
  const stream = client.openUpload({
    location: { root: "bench", path },
    uploadId: id,
    user: "bench",
    sessionId: "bench",
    portAlias: "bench",
    offset: 0,
    append: false,
    noOverwrite: false,
    quotaBytes: 0,
    quotaFiles: 0,
  });
  for (const chunk of chunks) await stream.write(chunk);
  await stream.finish("close_notify");
}

/**
 * Storage without FTP in front (issue 5): its own gRPC service, NATS with
 * JetStream and file store, the same as `npm start` runs, driven by the
 * storage client the listener uses. One large upload (MB/s) and many 4 KiB
 * commits (files/s) on one stream and on eight, so a listener figure can be
 * read against what storage alone does. `backend` picks the filesystem or
 * the JetStream object-store backend (docs/storage.md).
 */
export async function storageAlone(
  base: string,
  { largeMiB, smallFiles, maxSeconds, backend = "filesystem" }: { largeMiB: number; smallFiles: number; maxSeconds: number; backend?: "filesystem" | "object-store" },
) {
  const log = createLogger({ service: "bench-storage", level: "silent" });
  const nats = await startNatsServer();
  const nc = await connectBus({ url: nats.url, name: "bench-storage" }, log);
  await ensureStream(nc, streams.events);
  const dataDir = join(base, "storage-alone");
  await mkdir(join(dataDir, "files/bench"), { recursive: true });
  // Partials off: the bench's uploads all complete.
  const parts = await createStorageParts(nc, backend === "filesystem" ? { kind: "filesystem", dataDir } : { kind: "object-store", instanceId: "bench" }, { partialTtlMs: 0 });
  const service = await startStorageService("127.0.0.1:0", { ...parts, nc, log, metrics: createStorageMetrics(createMetricsRegistry("bench-storage")), uploadIdleTimeoutMs: 60_000 });
  const client = createStorageClient(service.address);
  try {
    const chunk = Buffer.alloc(256 * 1024, 7);
    let started = process.hrtime.bigint();
    await upload(client, "/large.bin", (function* () {
      for (let i = 0; i < largeMiB * 4; i++) yield chunk;
    })(), `large-${Date.now()}`);
    const largeMBps = largeMiB / seconds(started);
    const small = Buffer.alloc(4096, 7);
    const filesPerSecond = async (streamsAtOnce: number) => {
      started = process.hrtime.bigint();
      let done = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: streamsAtOnce }, async () => {
          while (next < smallFiles && seconds(started) < maxSeconds) {
            const index = next++;
            await upload(client, `/small-${streamsAtOnce}-${index}.bin`, [small], `small-${streamsAtOnce}-${index}-${Date.now()}`);
            done++;
          }
        }),
      );
      return done / seconds(started);
    };
    return { largeMBps, oneStream: await filesPerSecond(1), eightStreams: await filesPerSecond(8) };
  } finally {
    client.close();
    await service.stop(1_000);
    await nc.close();
    await nats.stop();
  }
}
