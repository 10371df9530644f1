import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectBus, ensureStream, type NatsConnection } from "@wharf/bus";
import { createStorageClient, type StorageClient, streams } from "@wharf/contracts";
import { createStorageMetrics, createStorageParts, type StorageService, startStorageService } from "@wharf/storage";
import type { Logger } from "@wharf/telemetry";
import { createMetricsRegistry } from "@wharf/telemetry";
import { makeTestCertificates, startNatsServer, startVsftpdPartner, type TestCertificates, type TestNatsServer, type VsftpdPartner } from "@wharf/testing";

/** What outbound's tests run against: a real nats-server, a real storage service (and its client), and a vsftpd partner. */
export interface Testbed {
  base: string;
  nats: TestNatsServer;
  nc: NatsConnection;
  storage: StorageService;
  client: StorageClient;
  certs: TestCertificates;
  partner: VsftpdPartner;
  stop(): Promise<void>;
}

export async function startTestbed(name: string, log: Logger, { partnerUser }: { partnerUser?: string } = {}): Promise<Testbed> {
  const base = await mkdtemp(join(tmpdir(), `wharf-${name}-`));
  const nats = await startNatsServer();
  const nc = await connectBus({ url: nats.url, name }, log);
  await ensureStream(nc, streams.events);
  const parts = await createStorageParts(nc, { kind: "filesystem", dataDir: join(base, "storage") }, { partialTtlMs: 0 });
  const storage = await startStorageService("127.0.0.1:0", {
    ...parts,
    nc,
    log,
    metrics: createStorageMetrics(createMetricsRegistry("storage")),
    uploadIdleTimeoutMs: 30_000,
  });
  const client = createStorageClient(storage.address);
  await client.waitForReady(10_000);
  const certs = await makeTestCertificates(join(base, "certs"));
  const partner = await startVsftpdPartner(base, {
    certFile: certs.serverCertFile,
    keyFile: certs.serverKeyFile,
    ...(partnerUser ? { user: partnerUser } : {}),
  });
  return {
    base,
    nats,
    nc,
    storage,
    client,
    certs,
    partner,
    stop: async () => {
      await partner.stop();
      client.close();
      await storage.stop(1_000);
      await nc.close();
      await nats.stop();
      await rm(base, { recursive: true, force: true });
    },
  };
}
