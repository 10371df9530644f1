/**
 * The contract every storage backend passes (issue 5, item 6): the same
 * tests, through the same gRPC service, against a real nats-server, for the
 * filesystem backend and for the JetStream object-store backend. Nothing here
 * looks behind the backend, except through `adapter` for what only the backend
 * can tell (bytes of uploads in progress, leftovers of finished ones).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectBus, ensureStream, type NatsConnection } from "@wharf/bus";
import { createStorageClient, type StorageClient, streams, subjects, WharfError } from "@wharf/contracts";
import { createLogger, createMetricsRegistry } from "@wharf/telemetry";
import { startNatsServer, streamMessages, type TestNatsServer, waitFor } from "@wharf/testing";
import { createStorageMetrics } from "../src/metrics.js";
import { type StorageService, startStorageService } from "../src/service.js";
import type { BackendChoice, StorageParts } from "../src/storage-parts.js";
import { createStorageParts } from "../src/storage-parts.js";

export interface ContractAdapter {
  /** The backend to test, made fresh for the suite. */
  backend(nc: NatsConnection): Promise<BackendChoice>;
  /** Bytes the backend holds for uploads in progress (to know a cut upload had arrived somewhere). */
  bytesInProgress(nc: NatsConnection): Promise<number>;
  /** How many uploads' leftovers (temps, journals) the backend holds. */
  leftovers(nc: NatsConnection): Promise<number>;
  /** Frees what the backend holds after the suite. */
  cleanUp(): Promise<void>;
}

export function backendContract(name: string, adapter: ContractAdapter): void {
  const log = createLogger({ service: "contract-test", level: "silent" });
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let backend: BackendChoice;
  let parts: StorageParts;
  let service: StorageService;
  let client: StorageClient;
  let clock = Date.now();
  let uploadSeq = 0;
  const registry = createMetricsRegistry("storage");
  const outcomes = async (outcome: string) => (await registry.getSingleMetric("wharf_storage_uploads_total")?.get())?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

  before(async () => {
    nats = await startNatsServer();
    nc = await connectBus({ url: nats.url, name: `contract-${name}` }, log);
    await ensureStream(nc, streams.events);
    backend = await adapter.backend(nc);
    parts = await createStorageParts(nc, backend, { partialTtlMs: 3_600_000, now: () => clock });
    service = await startStorageService("127.0.0.1:0", { ...parts, nc, log, metrics: createStorageMetrics(registry), uploadIdleTimeoutMs: 2_000 });
    client = createStorageClient(service.address);
  });

  after(async () => {
    client.close();
    await service.stop(1_000);
    await nc.close();
    await nats.stop();
    await adapter.cleanUp();
  });

  const loc = (path: string, root = "alice") => ({ root, path });
  const header = (path: string, options: { root?: string; offset?: number; append?: boolean; noOverwrite?: boolean; quotaBytes?: number; quotaFiles?: number } = {}) => ({
    location: loc(path, options.root ?? "alice"),
    uploadId: `${name}-${++uploadSeq}-${Date.now()}`,
    user: options.root ?? "alice",
    sessionId: "s1",
    portAlias: "test",
    offset: options.offset ?? 0,
    append: options.append ?? false,
    noOverwrite: options.noOverwrite ?? false,
    quotaBytes: options.quotaBytes ?? 0,
    quotaFiles: options.quotaFiles ?? 0,
  });
  const put = async (path: string, bytes: Buffer | string, options: Parameters<typeof header>[1] = {}) => {
    const upload = client.openUpload(header(path, options));
    await upload.write(Buffer.from(bytes));
    return upload.finish("close_notify");
  };
  const tryPut = (path: string, bytes: Buffer | string, options: Parameters<typeof header>[1] = {}) => errorCode(put(path, bytes, options));
  const content = async (path: string, offset = 0, root = "alice") => {
    const chunks: Buffer[] = [];
    for await (const chunk of client.read(loc(path, root), offset)) chunks.push(chunk);
    return Buffer.concat(chunks);
  };
  const names = async (path: string, root = "alice") => {
    const found: string[] = [];
    for await (const page of client.list(loc(path, root))) found.push(...page.map((entry) => `${entry.name}${entry.type === 2 ? "/" : `:${entry.size}`}`));
    return found.sort();
  };
  const eventsFor = async (path: string) => (await streamMessages(nc, streams.events.name, subjects.fileStored)).map((message) => message.body).filter((body) => body.path === path);
  const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");
  const withoutEvents = async (work: () => Promise<void>) => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(streams.events.name);
    try {
      await work();
    } finally {
      await ensureStream(nc, streams.events);
    }
  };
  const noLeftovers = () => waitFor(async () => ((await adapter.leftovers(nc)) === 0 ? true : undefined), { what: "no upload leftovers" });

  test(`${name} - a commit is whole: read back, stat, checksum and exactly one event with its SHA-256`, async () => {
    const bytes = randomBytes(700_000);
    const result = await put("/whole.bin", bytes);
    assert.equal(result.size, bytes.length);
    assert.equal(result.sha256, sha256(bytes));
    assert.ok((await content("/whole.bin")).equals(bytes));
    assert.equal((await client.stat(loc("/whole.bin"))).size, bytes.length);
    assert.deepEqual(await client.checksum(loc("/whole.bin")), { sha256: sha256(bytes), size: bytes.length });
    const events = await eventsFor("/whole.bin");
    assert.equal(events.length, 1);
    assert.equal(events[0]?.sha256, sha256(bytes));
    await noLeftovers();
  });

  test(`${name} - a cut upload changes nothing: the previous version stays, no event, and what arrived is kept for a resume`, async () => {
    await put("/cut.bin", "version 1");
    const abortedBefore = await outcomes("aborted");
    const upload = client.openUpload(header("/cut.bin"));
    await upload.ready;
    const sent = randomBytes(3 * 1024 * 1024);
    for (let offset = 0; offset < sent.length; offset += 65_536) await upload.write(sent.subarray(offset, offset + 65_536));
    await waitFor(async () => ((await adapter.bytesInProgress(nc)) >= 1024 * 1024 ? true : undefined), { what: "storage to store the first bytes" });
    upload.cancel();
    await waitFor(async () => ((await outcomes("aborted")) > abortedBefore ? true : undefined), { what: "storage to count the cut upload" });
    assert.equal((await content("/cut.bin")).toString(), "version 1");
    assert.equal((await eventsFor("/cut.bin")).length, 1, "only version 1's event");
    const kept = (await client.stat(loc("/cut.bin"), { preferPartial: true })).size;
    assert.ok(kept >= 1024 * 1024 && kept <= sent.length, String(kept));
    const resumed = client.openUpload(header("/cut.bin", { offset: kept }));
    await resumed.write(sent.subarray(kept));
    assert.equal((await resumed.finish("close_notify")).sha256, sha256(sent));
    assert.ok((await content("/cut.bin")).equals(sent));
    await noLeftovers();
  });

  test(`${name} - refused before any byte: a missing folder, a folder, a taken name without overwrite, an offset past the end`, async () => {
    assert.equal(await errorCode(client.openUpload(header("/missing/x.txt")).ready), "WHARF_NOT_FOUND");
    await client.mkdir(loc("/a-folder"));
    assert.equal(await errorCode(client.openUpload(header("/a-folder")).ready), "WHARF_IS_A_DIRECTORY");
    assert.equal(await errorCode(client.openUpload(header("/")).ready), "WHARF_IS_A_DIRECTORY");
    await put("/short.txt", "12345");
    assert.equal(await errorCode(client.openUpload(header("/short.txt", { offset: 6 })).ready), "WHARF_INVALID_ARGUMENT");
    assert.equal(await errorCode(client.openUpload(header("/short.txt", { noOverwrite: true })).ready), "WHARF_ALREADY_EXISTS");
  });

  test(`${name} - two uploads racing for a free name without overwrite: the first commits, the second is refused and leaves nothing`, async () => {
    const first = client.openUpload(header("/race.txt", { noOverwrite: true }));
    const second = client.openUpload(header("/race.txt", { noOverwrite: true }));
    await Promise.all([first.ready, second.ready]);
    await first.write(Buffer.from("from the first"));
    await second.write(Buffer.from("from the second"));
    await first.finish("close_notify");
    assert.equal(await errorCode(second.finish("close_notify")), "WHARF_ALREADY_EXISTS");
    assert.equal((await content("/race.txt")).toString(), "from the first");
    assert.equal((await eventsFor("/race.txt")).length, 1);
    await noLeftovers();
  });

  test(`${name} - concurrent uploads to one name: the file is exactly one of them, with one event each`, async () => {
    const versions = [randomBytes(400_000), randomBytes(400_000), randomBytes(400_000)];
    const results = await Promise.all(versions.map((bytes) => put("/contested.bin", bytes)));
    const final = await content("/contested.bin");
    assert.ok(versions.some((bytes) => bytes.equals(final)), "one whole version");
    assert.deepEqual(results.map((result) => result.sha256).sort(), versions.map((bytes) => sha256(bytes)).sort());
    assert.equal((await eventsFor("/contested.bin")).length, 3);
    assert.equal((await client.checksum(loc("/contested.bin"))).sha256, sha256(final));
  });

  test(`${name} - reads start at any offset, inside or across chunk boundaries; past the end and missing files are refused`, async () => {
    const bytes = randomBytes(1024 * 1024 + 4321);
    await put("/offsets.bin", bytes);
    for (const offset of [0, 1, 131_071, 131_072, 131_073, 1024 * 1024, bytes.length - 1, bytes.length]) {
      assert.ok((await content("/offsets.bin", offset)).equals(bytes.subarray(offset)), `offset ${offset}`);
    }
    assert.equal(await errorCode(content("/offsets.bin", bytes.length + 1)), "WHARF_INVALID_ARGUMENT");
    assert.equal(await errorCode(content("/nope.bin")), "WHARF_NOT_FOUND");
    assert.equal(await errorCode(content("/a-folder")), "WHARF_IS_A_DIRECTORY");
    await put("/empty.bin", "");
    assert.equal((await content("/empty.bin")).length, 0);
  });

  test(`${name} - folders: mkdir, list, rename a file and a folder with its contents, delete, rmdir`, async () => {
    await client.mkdir(loc("/in"));
    assert.equal(await errorCode(client.mkdir(loc("/in"))), "WHARF_ALREADY_EXISTS");
    assert.equal(await errorCode(client.mkdir(loc("/no/such"))), "WHARF_NOT_FOUND");
    await client.mkdir(loc("/in/deep"));
    await put("/in/a.txt", "hello");
    await put("/in/deep/b.txt", "world!");
    assert.deepEqual(await names("/in"), ["a.txt:5", "deep/"]);
    assert.equal(await errorCode(client.rmdir(loc("/in"))), "WHARF_DIRECTORY_NOT_EMPTY");
    assert.equal(await errorCode(client.delete(loc("/in"))), "WHARF_IS_A_DIRECTORY");
    assert.equal(await errorCode(client.rmdir(loc("/in/a.txt"))), "WHARF_NOT_A_DIRECTORY");
    assert.equal(await errorCode(names("/in/a.txt")), "WHARF_NOT_A_DIRECTORY");
    await client.rename(loc("/in/a.txt"), "/in/c.txt");
    assert.equal(await errorCode(client.rename(loc("/in"), "/in/deep/in")), "WHARF_INVALID_ARGUMENT");
    await client.rename(loc("/in"), "/moved");
    assert.deepEqual(await names("/moved"), ["c.txt:5", "deep/"]);
    assert.equal((await content("/moved/deep/b.txt")).toString(), "world!");
    assert.equal(await errorCode(client.stat(loc("/in"))), "WHARF_NOT_FOUND");
    await client.delete(loc("/moved/c.txt"));
    await client.delete(loc("/moved/deep/b.txt"));
    assert.equal(await errorCode(client.delete(loc("/moved/deep/b.txt"))), "WHARF_NOT_FOUND");
    await client.rmdir(loc("/moved/deep"));
    await client.rmdir(loc("/moved"));
    assert.equal(await errorCode(client.stat(loc("/moved"))), "WHARF_NOT_FOUND");
    assert.equal(await errorCode(client.rmdir(loc("/"))), "WHARF_PERMISSION_DENIED");
    assert.equal(await errorCode(client.rename(loc("/"), "/x")), "WHARF_PERMISSION_DENIED");
  });

  test(`${name} - renames: onto a file replaces it, onto itself changes nothing; without overwrite a taken name is refused`, async () => {
    await put("/r1.txt", "one");
    await put("/r2.txt", "two!");
    assert.equal(await errorCode(client.rename(loc("/r1.txt"), "/r2.txt", { noOverwrite: true })), "WHARF_ALREADY_EXISTS");
    assert.equal((await content("/r1.txt")).toString(), "one");
    await client.rename(loc("/r1.txt"), "/r1.txt");
    assert.equal((await content("/r1.txt")).toString(), "one");
    await client.rename(loc("/r1.txt"), "/r2.txt");
    assert.equal((await content("/r2.txt")).toString(), "one");
    assert.equal(await errorCode(client.stat(loc("/r1.txt"))), "WHARF_NOT_FOUND");
    await client.rename(loc("/r2.txt"), "/r3.txt", { noOverwrite: true });
    assert.equal((await client.checksum(loc("/r3.txt"))).sha256, sha256("one"));
  });

  test(`${name} - every path stays in its root: .., NUL, a bad root name and over-long names are refused`, async () => {
    assert.equal(await errorCode(client.stat(loc("/../bob/secret.txt"))), "WHARF_INVALID_PATH");
    assert.equal(await errorCode(client.stat(loc("/a\0b"))), "WHARF_INVALID_PATH");
    assert.equal(await errorCode(client.stat(loc("/x", "../bob"))), "WHARF_INVALID_PATH");
    assert.equal(await errorCode(client.stat(loc("relative"))), "WHARF_INVALID_PATH");
    assert.equal(await errorCode(client.mkdir(loc(`/${"n".repeat(256)}`))), "WHARF_INVALID_PATH");
    assert.equal(await errorCode(client.openUpload(header("/../escape.txt")).ready), "WHARF_INVALID_PATH");
    await put("/mine.txt", "alice's", { root: "alice" });
    assert.equal(await errorCode(client.stat(loc("/mine.txt", "bob"))), "WHARF_NOT_FOUND");
  });

  test(`${name} - when the event cannot be published, the previous version stays (or the name stays free) and the error says so`, async () => {
    await put("/published.txt", "version 1");
    await withoutEvents(async () => {
      assert.equal(await tryPut("/published.txt", "version 2"), "WHARF_UNAVAILABLE");
      assert.equal(await tryPut("/fresh.txt", "new"), "WHARF_UNAVAILABLE");
    });
    assert.equal((await content("/published.txt")).toString(), "version 1");
    assert.equal(await errorCode(client.stat(loc("/fresh.txt"))), "WHARF_NOT_FOUND");
    assert.deepEqual(await eventsFor("/fresh.txt"), []);
    await noLeftovers();
  });

  test(`${name} - a listing of 1,200 entries comes in pages of at most 500, each entry once`, async () => {
    await client.mkdir(loc("/many"));
    for (let start = 0; start < 1_200; start += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => client.mkdir(loc(`/many/d${start + i}`))));
    }
    const seen = new Set<string>();
    const pageSizes: number[] = [];
    for await (const page of client.list(loc("/many"))) {
      pageSizes.push(page.length);
      for (const entry of page) seen.add(entry.name);
    }
    assert.equal(seen.size, 1_200);
    assert.equal(pageSizes.reduce((sum, size) => sum + size, 0), 1_200);
    assert.ok(Math.max(...pageSizes) <= 500, String(Math.max(...pageSizes)));
  });

  test(`${name} - resume keeps the first offset bytes of the current version, append keeps all of it (no holes)`, async () => {
    const original = randomBytes(300_000);
    await put("/grow.bin", original);
    const tail = randomBytes(50_000);
    const resumed = client.openUpload(header("/grow.bin", { offset: 140_000 }));
    await resumed.write(tail);
    const expected = Buffer.concat([original.subarray(0, 140_000), tail]);
    assert.equal((await resumed.finish("close_notify")).sha256, sha256(expected));
    assert.ok((await content("/grow.bin")).equals(expected));
    const appended = client.openUpload(header("/grow.bin", { append: true }));
    await appended.write(Buffer.from("++"));
    await appended.finish("close_notify");
    assert.ok((await content("/grow.bin")).equals(Buffer.concat([expected, Buffer.from("++")])));
    const fresh = client.openUpload(header("/new-append.bin", { append: true }));
    await fresh.write(Buffer.from("first"));
    await fresh.finish("close_notify");
    assert.equal((await content("/new-append.bin")).toString(), "first");
  });

  test(`${name} - kept partials: APPE continues one, a commit drops it, and it expires`, async () => {
    const full = randomBytes(3 * 1024 * 1024);
    const cut = async (path: string) => {
      const before = await outcomes("aborted");
      const upload = client.openUpload(header(path));
      await upload.ready;
      for (let offset = 0; offset < 2 * 1024 * 1024; offset += 65_536) await upload.write(full.subarray(offset, offset + 65_536));
      await waitFor(async () => ((await adapter.bytesInProgress(nc)) >= 1024 * 1024 ? true : undefined), { what: "storage to store the first bytes" });
      upload.cancel();
      await waitFor(async () => ((await outcomes("aborted")) > before ? true : undefined), { what: "the cut to be counted" });
      return (await client.stat(loc(path), { preferPartial: true })).size;
    };
    const kept = await cut("/appended.bin");
    assert.equal(await errorCode(client.stat(loc("/appended.bin"))), "WHARF_NOT_FOUND", "a partial is never the file");
    const appended = client.openUpload(header("/appended.bin", { append: true }));
    await appended.write(full.subarray(kept));
    assert.equal((await appended.finish("close_notify")).sha256, sha256(full));
    assert.equal((await client.stat(loc("/appended.bin"), { preferPartial: true })).size, full.length, "the commit dropped the partial");
    await cut("/expiring.bin");
    clock += 3_600_000;
    assert.equal(await errorCode(client.stat(loc("/expiring.bin"), { preferPartial: true })), "WHARF_NOT_FOUND");
    await cut("/swept.bin");
    clock += 3_600_000;
    assert.ok((await parts.store.partials.sweep()) >= 1);
    assert.equal(await parts.store.partials.bytesOf("alice"), 0);
    await noLeftovers();
  });

  test(`${name} - quota: an upload past the bytes or files is refused during the write and leaves nothing; usage matches the store`, async () => {
    const quota = { root: "quota", quotaBytes: 100_000, quotaFiles: 2 };
    assert.equal(await tryPut("/a.bin", Buffer.alloc(60_000, 1), quota), "resolved");
    assert.equal(await tryPut("/b.bin", Buffer.alloc(60_000, 1), quota), "WHARF_QUOTA_EXCEEDED");
    assert.equal(await tryPut("/b.bin", Buffer.alloc(40_000, 1), quota), "resolved");
    assert.equal(await tryPut("/c.bin", Buffer.alloc(1, 1), quota), "WHARF_QUOTA_EXCEEDED");
    assert.deepEqual(await names("/", "quota"), ["a.bin:60000", "b.bin:40000"]);
    assert.deepEqual(await parts.store.usage("quota"), { bytes: 100_000, files: 2 });
    assert.deepEqual(await parts.usage.of("quota"), { bytes: 100_000, files: 2 });
    await noLeftovers();
  });

  test(`${name} - metadata: the checksum follows each new version; MFMT sets the time and keeps the checksum right`, async () => {
    await put("/meta.txt", "first");
    assert.equal((await client.checksum(loc("/meta.txt"))).sha256, sha256("first"));
    await put("/meta.txt", "second");
    assert.equal((await client.checksum(loc("/meta.txt"))).sha256, sha256("second"));
    const when = Date.UTC(2024, 0, 2, 3, 4, 5);
    await client.setModifiedTime(loc("/meta.txt"), when);
    assert.equal((await client.stat(loc("/meta.txt"))).mtimeMs, when);
    assert.equal((await client.checksum(loc("/meta.txt"))).sha256, sha256("second"));
    assert.equal(await errorCode(client.setModifiedTime(loc("/a-folder"), when)), "WHARF_IS_A_DIRECTORY");
  });

  test(`${name} - a restart's recovery finds nothing to do after clean work, and leaves every file readable`, async () => {
    const again = await createStorageParts(nc, backend, { partialTtlMs: 3_600_000, now: () => clock });
    const report = await again.store.recover({ atStart: true });
    assert.deepEqual({ removedTemps: report.removedTemps, undone: report.undone, committed: report.committed.length }, { removedTemps: 0, undone: 0, committed: 0 });
    assert.equal((await content("/whole.bin")).length, 700_000);
  });
}

export const errorCode = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (error: unknown) => (error instanceof WharfError ? error.code : String(error)),
  );
