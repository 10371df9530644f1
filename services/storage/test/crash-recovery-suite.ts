/**
 * Crash recovery (issue 5), for each backend: the storage process is killed
 * with SIGKILL at each step of a commit (before the rename, after it, after
 * the event's ack) and in the middle of a transfer, then started again on the
 * same data (folder or NATS). Each time: no partial file, the previous version
 * byte-identical unless the new one was put in place, the new one announced
 * exactly once when it was, and no upload leftovers.
 */
import assert from "node:assert/strict";
import type { ChildProcess, } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { connectBus, ensureStream, type NatsConnection } from "@wharf/bus";
import { createStorageClient, type StorageClient, streams, subjects } from "@wharf/contracts";
import { createLogger } from "@wharf/telemetry";
import { getFreePort, spawnService, startNatsServer, streamMessages, type TestNatsServer, uploadHeader, waitFor } from "@wharf/testing";

const main = fileURLToPath(new URL("../src/main.js", import.meta.url));

export interface CrashBackend {
  /** What selects the backend in the storage process's environment. */
  env: Record<string, string>;
  /** How many uploads' leftovers (temps, journals) the backend holds. */
  leftovers(nc: NatsConnection, dataDir: string): Promise<number>;
}

export function crashRecoverySuite(name: string, backend: CrashBackend): void {
let nats: TestNatsServer;
let nc: NatsConnection;
let dataDir: string;

interface RunningStorage {
  child: ChildProcess;
  client: StorageClient;
  metricsPort: number;
  output: string[];
}

let running: RunningStorage | undefined;

/**
 * Starts the storage service as `npm start` would, and waits for its "storage ready" line. A free port
 * can be taken by another test between choosing it and binding it: then it tries new ports.
 */
async function startStorage(failpoint?: string): Promise<RunningStorage> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStorageOnce(failpoint);
    } catch (error) {
      if (attempt === 3 || !String(error).includes("EADDRINUSE")) throw error;
    }
  }
}

async function startStorageOnce(failpoint?: string): Promise<RunningStorage> {
  const [grpcPort, metricsPort] = [await getFreePort(), await getFreePort()];
  const env = {
    ...process.env,
    WHARF_NATS_URL: nats.url,
    WHARF_DATA_DIR: dataDir,
    WHARF_STORAGE_GRPC_ADDRESS: `127.0.0.1:${grpcPort}`,
    WHARF_STORAGE_METRICS_PORT: String(metricsPort),
    WHARF_LOG_LEVEL: "info",
    ...backend.env,
    ...(failpoint ? { WHARF_STORAGE_FAILPOINT: failpoint } : {}),
  };
  const { child, output } = await spawnService(main, env, "storage ready");
  running = { child, client: createStorageClient(`127.0.0.1:${grpcPort}`), metricsPort, output };
  return running;
}

/** Waits until the process is gone, as a SIGKILL leaves it. */
async function died(storage: RunningStorage): Promise<NodeJS.Signals | null> {
  storage.client.close();
  if (storage.child.exitCode !== null || storage.child.signalCode !== null) return storage.child.signalCode;
  const [, signal] = (await once(storage.child, "exit")) as [number | null, NodeJS.Signals | null];
  return signal;
}

before(async () => {
  nats = await startNatsServer();
  nc = await connectBus({ url: nats.url, name: "crash-test" }, createLogger({ service: "crash-test", level: "silent" }));
  await ensureStream(nc, streams.events);
  dataDir = await mkdtemp(join(tmpdir(), "wharf-crash-"));
});

after(async () => {
  if (running && running.child.exitCode === null && running.child.signalCode === null) {
    running.client.close();
    running.child.kill("SIGTERM");
    await once(running.child, "exit");
  }
  await nc.close();
  await nats.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The file as storage serves it, or undefined when there is none. */
const stored = async (storage: RunningStorage, path: string) => {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of storage.client.read({ root: "alice", path })) chunks.push(chunk);
    return Buffer.concat(chunks);
  } catch {
    return undefined;
  }
};
const leftovers = () => backend.leftovers(nc, dataDir);
const eventsOf = async (uploadId: string) =>
  (await streamMessages(nc, streams.events.name, subjects.fileStored)).filter((message) => message.body.uploadId === uploadId);
const header = (path: string, uploadId: string) => uploadHeader("alice", path, uploadId);

/** Uploads `bytes` in full; resolves with how the call ended (the process may die before it answers). */
async function upload(storage: RunningStorage, path: string, uploadId: string, bytes: Buffer): Promise<string> {
  const stream = storage.client.openUpload(header(path, uploadId));
  try {
    await stream.ready;
    for (let offset = 0; offset < bytes.length; offset += 65_536) await stream.write(bytes.subarray(offset, offset + 65_536));
    await stream.finish("close_notify");
    return "committed";
  } catch (error) {
    return `failed: ${(error as Error).message.split("\n")[0]}`;
  }
}

async function metric(storage: RunningStorage, action: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${storage.metricsPort}/metrics`)).text();
  return Number(new RegExp(`wharf_storage_recovery_actions_total\\{[^}]*action="${action}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

test(`${name} - SIGKILL at each step of a commit, then a restart: the old version or the new one, whole, announced once; nothing left behind`, async () => {
  const v1 = randomBytes(200_000);
  const steps = ["before-rename", "after-rename", "after-publish"] as const;
  // Every step replaces a previous version, and one more crash before the rename makes a new file.
  let storage = await startStorage();
  for (const step of steps) assert.equal(await upload(storage, `/${step}.bin`, `v1-${step}`, v1), "committed");
  storage.client.close();
  storage.child.kill("SIGTERM");
  await once(storage.child, "exit");
  const versions = new Map(steps.map((step) => [step, randomBytes(300_000)]));
  storage = await startStorage(steps[0]);
  const seen: Record<string, unknown> = {};
  for (const [index, step] of steps.entries()) {
    const uploadId = `crash-${step}`;
    const outcome = await upload(storage, `/${step}.bin`, uploadId, versions.get(step) as Buffer);
    assert.equal(await died(storage), "SIGKILL", `${step}: ${outcome}`);
    assert.match(outcome, /^failed/, step);
    // The next start recovers this crash (and arms the next step's failpoint).
    storage = await startStorage(steps[index + 1]);
    const content = await stored(storage, `/${step}.bin`);
    seen[step] = {
      content: content?.equals(v1) ? "previous version" : content?.equals(versions.get(step) as Buffer) ? "new version" : "damaged",
      events: (await eventsOf(uploadId)).length,
      leftovers: await leftovers(),
    };
  }
  assert.deepEqual(seen, {
    "before-rename": { content: "previous version", events: 0, leftovers: 0 },
    "after-rename": { content: "new version", events: 1, leftovers: 0 },
    "after-publish": { content: "new version", events: 1, leftovers: 0 },
  });
  // The after-rename crash had published nothing: its event came from the restart, with the new version's checksum.
  const sha256 = createHash("sha256").update(versions.get("after-rename") as Buffer).digest("hex");
  assert.equal((await eventsOf("crash-after-rename"))[0]?.body.sha256, sha256);
  // After-publish's event was published again at the last restart, and JetStream dropped the duplicate.
  // (Counted once its publish is acknowledged: one that failed under load is tried again 30 s later.)
  await waitFor(async () => ((await metric(storage, "republished")) === 1 ? true : undefined), { timeoutMs: 40_000, what: "the republish to be counted" });
  storage.client.close();
  storage.child.kill("SIGTERM");
  await once(storage.child, "exit");

  // A new name, killed before its rename: the name stays free.
  storage = await startStorage("before-rename");
  assert.match(await upload(storage, "/brand-new.bin", "crash-new", randomBytes(10_000)), /^failed/);
  assert.equal(await died(storage), "SIGKILL");
  storage = await startStorage();
  assert.equal(await stored(storage, "/brand-new.bin"), undefined);
  assert.deepEqual(await eventsOf("crash-new"), []);
  assert.equal(await metric(storage, "undone"), 1);

  // Killed in the middle of a transfer: the temp file goes at the next start.
  const midway = storage.client.openUpload(header("/before-rename.bin", "crash-midway"));
  await midway.ready;
  await midway.write(randomBytes(1024 * 1024));
  storage.child.kill("SIGKILL");
  assert.equal(await died(storage), "SIGKILL");
  await midway.failed.catch(() => undefined);
  storage = await startStorage();
  assert.equal(await metric(storage, "removed_temp"), 1);
  assert.equal(await leftovers(), 0);
  assert.ok((await stored(storage, "/before-rename.bin"))?.equals(v1), "the previous version is untouched");
  assert.deepEqual(await eventsOf("crash-midway"), []);
});
}
