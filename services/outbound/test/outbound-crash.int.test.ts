/**
 * kill -9 of outbound in the middle of a push (issue 6): the outbound process
 * is started as `npm start` starts it, killed with SIGKILL while the partner
 * (vsftpd) is receiving a large file, and started again. The partner ends
 * with exactly one complete file under its name, and no temporary leftover.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@wharf/bus";
import { buckets, EndpointConfig, PipelineConfig, type StorageClient } from "@wharf/contracts";
import type { StorageService } from "@wharf/storage";
import { createLogger } from "@wharf/telemetry";
import { getFreePort, partnerEndpoint, spawnService, type TestNatsServer, type VsftpdPartner, uploadHeader, waitFor } from "@wharf/testing";
import { startTestbed, type Testbed } from "./testbed.js";

const main = fileURLToPath(new URL("../src/main.js", import.meta.url));
const log = createLogger({ service: "outbound-crash-test", level: "silent" });
let nats: TestNatsServer;
let nc: NatsConnection;
let storage: StorageService;
let client: StorageClient;
let partner: VsftpdPartner;
const running: ChildProcess[] = [];

let testbed: Testbed;

before(async () => {
  testbed = await startTestbed("outbound-crash", log, { partnerUser: "wharfcrash" });
  ({ nats, nc, storage, client, partner } = testbed);
  const { certs } = testbed;
  const kvm = new Kvm(nc);
  const endpoint = EndpointConfig.parse(partnerEndpoint(partner, certs.serverCert, { name: "crash-in", passwordEnv: "WHARF_TEST_PARTNER_PASSWORD" }));
  await (await kvm.create(buckets.endpoints, { history: 5 })).put(endpoint.name, JSON.stringify(endpoint));
  const pipeline = PipelineConfig.parse({ name: "to-crash", source: { root: "crash" }, target: "crash-in", retry: { initialDelayMs: 200, maxDelayMs: 1_000 } });
  await (await kvm.create(buckets.pipelines, { history: 5 })).put(pipeline.name, JSON.stringify(pipeline));
});

after(async () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await testbed.stop();
});

/** Starts outbound's main as `npm start` does, and waits for its "outbound ready" line. */
async function startOutbound(): Promise<ChildProcess> {
  const env = {
    ...process.env,
    WHARF_NATS_URL: nats.url,
    WHARF_STORAGE_ADDRESS: storage.address,
    WHARF_OUTBOUND_METRICS_PORT: String(await getFreePort()),
    // A killed delivery's event comes back after 2 s instead of 30.
    WHARF_OUTBOUND_ACK_WAIT_MS: "2000",
    WHARF_TEST_PARTNER_PASSWORD: partner.password,
    WHARF_LOG_LEVEL: "info",
  };
  const { child } = await spawnService(main, env, "outbound ready");
  running.push(child);
  return child;
}

test("SIGKILL of outbound mid-push, then a restart: exactly one complete file at the partner, no temporary leftover", async () => {
  const bytes = randomBytes(160 * 1024 * 1024);
  const upload = client.openUpload(uploadHeader("crash", "/big.bin", `crash-${Date.now()}`));
  await upload.ready;
  for (let offset = 0; offset < bytes.length; offset += 1024 * 1024) await upload.write(bytes.subarray(offset, offset + 1024 * 1024));
  await upload.finish("close_notify");
  const folder = join(partner.root, "crash-in");
  const first = await startOutbound();
  // Killed once the partner holds part of the file under its temporary name.
  const temporary = await waitFor(
    async () => {
      for (const name of await readdir(folder).catch(() => [] as string[])) {
        if (name.endsWith(".part") && (await stat(join(folder, name))).size > 4 * 1024 * 1024) return name;
      }
      return undefined;
    },
    { timeoutMs: 30_000, intervalMs: 10, what: "the push to be under way" },
  );
  first.kill("SIGKILL");
  await once(first, "exit");
  const cut = (await stat(join(folder, temporary))).size;
  assert.ok(cut < bytes.length, `cut mid-transfer (${cut} of ${bytes.length} bytes)`);
  assert.deepEqual(await readdir(folder), [temporary], "only the temporary name: the partner never saw half a file under the real one");
  await startOutbound();
  const delivered = await waitFor(() => readFile(join(folder, "big.bin")).catch(() => undefined), { timeoutMs: 60_000, what: "the file after the restart" });
  assert.equal(createHash("sha256").update(delivered).digest("hex"), createHash("sha256").update(bytes).digest("hex"));
  assert.deepEqual(await readdir(folder), ["big.bin"], "one file, no temporary leftover");
});
