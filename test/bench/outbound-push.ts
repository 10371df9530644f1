import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import { connectBus, ensureStream } from "@wharf/bus";
import { buckets, createStorageClient, EndpointConfig, PipelineConfig, streams } from "@wharf/contracts";
import { startOutboundService } from "@wharf/outbound";
import { createStorageMetrics, createStorageParts, startStorageService } from "@wharf/storage";
import { createLogger, createMetricsRegistry } from "@wharf/telemetry";
import { makeTestCertificates, partnerEndpoint, startNatsServer, startVsftpdPartner, uploadHeader } from "@wharf/testing";

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/**
 * Outbound pushing small files to a vsftpd partner (explicit FTPS,
 * require_ssl_reuse=YES, pinned certificate), with partners' sessions kept
 * between deliveries (`sessionIdleMs` > 0, the default) or a new connection,
 * TLS handshake and login per file (0). Files are stored 8 at a time through
 * storage's gRPC API; the figure is files delivered per second, from the
 * first store to the last delivery, bounded by `maxSeconds`.
 */
export async function outboundPush(base: string, { files, maxSeconds, sessionIdleMs }: { files: number; maxSeconds: number; sessionIdleMs: number }): Promise<number> {
  const log = createLogger({ service: "bench-outbound", level: "silent" });
  const dir = join(base, `outbound-${sessionIdleMs}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  // vsftpd's user reaches its folder through these (mkdtemp makes them private).
  await chmod(base, 0o711);
  const nats = await startNatsServer();
  const nc = await connectBus({ url: nats.url, name: "bench-outbound" }, log);
  await ensureStream(nc, streams.events);
  const parts = await createStorageParts(nc, { kind: "filesystem", dataDir: join(dir, "storage") }, { partialTtlMs: 0 });
  const storage = await startStorageService("127.0.0.1:0", { ...parts, nc, log, metrics: createStorageMetrics(createMetricsRegistry("bench-storage")), uploadIdleTimeoutMs: 60_000 });
  const client = createStorageClient(storage.address);
  const certs = await makeTestCertificates(join(dir, "certs"));
  const partner = await startVsftpdPartner(dir, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile });
  process.env.WHARF_BENCH_PARTNER_PASSWORD = partner.password;
  const registry = createMetricsRegistry("bench-outbound");
  let outbound: Awaited<ReturnType<typeof startOutboundService>> | undefined;
  try {
    const kvm = new Kvm(nc);
    const endpoint = EndpointConfig.parse(partnerEndpoint(partner, certs.serverCert, { name: "partner", passwordEnv: "WHARF_BENCH_PARTNER_PASSWORD", remoteFolder: "/in", maxConnections: 4 }));
    await (await kvm.create(buckets.endpoints, { history: 5 })).put(endpoint.name, JSON.stringify(endpoint));
    await (await kvm.create(buckets.pipelines, { history: 5 })).put("to-partner", JSON.stringify(PipelineConfig.parse({ name: "to-partner", source: { root: "bench" }, target: "partner" })));
    // Started once its settings are there: it reads them at start.
    outbound = await startOutboundService({ nc, log, registry, storage: client, sessionIdleMs });
    const delivered = async () =>
      ((await registry.getSingleMetric("wharf_outbound_deliveries_total")?.get())?.values ?? []).find((value) => value.labels.result === "delivered")?.value ?? 0;
    // Timed from a first delivery on: the partner is reached and the pipeline works.
    const warmUp = client.openUpload(uploadHeader("bench", "/warm-up.bin", `warm-${Date.now()}`));
    await warmUp.ready;
    await warmUp.write(Buffer.alloc(10));
    await warmUp.finish("close_notify");
    const deadline = Date.now() + 30_000;
    while ((await delivered()) < 1) {
      if (Date.now() > deadline) throw new Error("outbound did not deliver the warm-up file in 30 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const small = Buffer.alloc(4096, 7);
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < files && seconds(started) < maxSeconds) {
          const index = next++;
          const upload = client.openUpload(uploadHeader("bench", `/f-${index}.bin`, `bench-${index}-${Date.now()}`));
          await upload.ready;
          await upload.write(small);
          await upload.finish("close_notify");
        }
      }),
    );
    const stored = next;
    // Polls the delivery count (a bench, not a test): bounded by maxSeconds after the last store.
    const until = Date.now() + maxSeconds * 1000;
    while ((await delivered()) < stored + 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    return ((await delivered()) - 1) / seconds(started);
  } finally {
    await outbound?.stop();
    await partner.stop();
    client.close();
    await storage.stop(1_000);
    await nc.close();
    await nats.stop();
  }
}
