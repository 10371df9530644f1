import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { link, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectBus, ensureStream, type NatsConnection } from "@wharf/bus";
import { createStorageClient, type StorageClient, streams, subjects, WharfError } from "@wharf/contracts";
import { createLogger, createMetricsRegistry } from "@wharf/telemetry";
import { fileStoredEvent, startNatsServer, streamMessages, type TestNatsServer, waitFor } from "@wharf/testing";
import { createFilesystemStore } from "../src/filesystem-store.js";
import { createStorageMetrics } from "../src/metrics.js";
import { type StorageService, startStorageService } from "../src/service.js";
import { createStorageParts } from "../src/storage-parts.js";
import { createUsageLedger, type UsageLedger } from "../src/usage.js";
import type { PartialUploads } from "../src/file-store.js";
import { createFileMetadataStore } from "../src/file-metadata.js";
import { recoverCommits } from "../src/recovery.js";

const log = createLogger({ service: "storage-test", level: "silent" });
let nats: TestNatsServer;
let nc: NatsConnection;
let dataDir: string;
let service: StorageService;
let client: StorageClient;
let uploadSeq = 0;
let partials: PartialUploads;
/** The partials' clock, moved by the expiry test. */
let clock = Date.now();
const registry = createMetricsRegistry("storage");
const aborted = async () => (await registry.getSingleMetric("wharf_storage_uploads_total")?.get())?.values.find((v) => v.labels.outcome === "aborted")?.value ?? 0;

before(async () => {
  nats = await startNatsServer();
  nc = await connectBus({ url: nats.url, name: "storage-test" }, log);
  await ensureStream(nc, streams.events);
  dataDir = await mkdtemp(join(tmpdir(), "wharf-storage-"));
  const parts = await createStorageParts(nc, { kind: "filesystem", dataDir }, { partialTtlMs: 3_600_000, now: () => clock });
  partials = parts.store.partials;
  service = await startStorageService("127.0.0.1:0", { ...parts, nc, log, metrics: createStorageMetrics(registry), uploadIdleTimeoutMs: 1_000 });
  client = createStorageClient(service.address);
});

after(async () => {
  client.close();
  await service.stop(1_000);
  await nc.close();
  await nats.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const loc = (path: string, root = "alice") => ({ root, path });
const header = (path: string, root = "alice", resume: { offset?: number; append?: boolean } = {}) => ({
  location: loc(path, root),
  uploadId: `up-${++uploadSeq}-${Date.now()}`,
  user: root,
  sessionId: "s1",
  portAlias: "test",
  offset: resume.offset ?? 0,
  append: resume.append ?? false,
  noOverwrite: false,
  quotaBytes: 0,
  quotaFiles: 0,
});

async function eventsFor(path: string) {
  const messages = await streamMessages(nc, streams.events.name, subjects.fileStored);
  return messages.map((message) => message.body).filter((body) => body.path === path);
}

const errorCode = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (error: unknown) => (error instanceof WharfError ? error.code : String(error)),
  );

test("write - commits atomically, answers size and sha256, publishes one event", async () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  const upload = client.openUpload(header("/report.bin"));
  for (let offset = 0; offset < bytes.length; offset += 65_536) await upload.write(bytes.subarray(offset, offset + 65_536));
  const result = await upload.finish("close_notify");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  assert.equal(result.size, bytes.length);
  assert.equal(result.sha256, sha256);
  assert.deepEqual(await readFile(join(dataDir, "files/alice/report.bin")), bytes);
  const events = await eventsFor("/report.bin");
  assert.equal(events.length, 1);
  assert.equal(events[0]?.sha256, sha256);
  assert.equal(events[0]?.streamEnd, "close_notify");
  // The journal goes right after the answer (the answer does not wait for it).
  await waitFor(async () => ((await readdir(join(dataDir, "uploads"))).length === 0 ? true : undefined), { what: "the journal to go" });
});

test("write - a stream without its end marker leaves no file, no temp and no event", async () => {
  await writeFile(join(dataDir, "files/alice/keep.txt"), "version 1");
  const upload = client.openUpload(header("/keep.txt"));
  await upload.write(Buffer.from("version 2, cut"));
  upload.cancel();
  assert.equal(await errorCode(upload.failed), "WHARF_TRANSFER_ABORTED");
  // Storage sees the cancellation asynchronously: wait until it has counted the aborted upload.
  await waitFor(async () => ((await aborted()) === 1 ? true : undefined), { what: "storage to count the aborted upload" });
  assert.deepEqual(await readdir(join(dataDir, "uploads")), []);
  assert.equal(await readFile(join(dataDir, "files/alice/keep.txt"), "utf8"), "version 1");
  assert.deepEqual(await eventsFor("/keep.txt"), []);
});

test("write - without overwrite: an existing name is refused at once, and of two uploads racing for a new name only the first commits", async () => {
  await writeFile(join(dataDir, "files/alice/taken.txt"), "first");
  const refused = client.openUpload({ ...header("/taken.txt"), noOverwrite: true });
  assert.equal(await errorCode(refused.ready), "WHARF_ALREADY_EXISTS");
  // Both open while the name is free; the second finds it taken at its commit.
  const first = client.openUpload({ ...header("/race.txt"), noOverwrite: true });
  const second = client.openUpload({ ...header("/race.txt"), noOverwrite: true });
  await Promise.all([first.ready, second.ready]);
  await first.write(Buffer.from("from the first"));
  await second.write(Buffer.from("from the second"));
  await first.finish("close_notify");
  assert.equal(await errorCode(second.finish("close_notify")), "WHARF_ALREADY_EXISTS");
  assert.equal(await readFile(join(dataDir, "files/alice/race.txt"), "utf8"), "from the first");
  assert.equal((await eventsFor("/race.txt")).length, 1);
  await waitFor(async () => ((await readdir(join(dataDir, "uploads"))).length === 0 ? true : undefined), { what: "no temp file left" });
});

test("write - into a missing folder, onto a folder or past the end of a file is refused before any data", async () => {
  const upload = client.openUpload(header("/missing/x.txt"));
  assert.equal(await errorCode(upload.ready), "WHARF_NOT_FOUND");
  assert.equal(await errorCode(upload.failed), "WHARF_NOT_FOUND");
  await mkdir(join(dataDir, "files/alice/a-folder"), { recursive: true });
  assert.equal(await errorCode(client.openUpload(header("/a-folder")).ready), "WHARF_IS_A_DIRECTORY");
  await writeFile(join(dataDir, "files/alice/short.txt"), "12345");
  assert.equal(await errorCode(client.openUpload(header("/short.txt", "alice", { offset: 6 })).ready), "WHARF_INVALID_ARGUMENT");
});

test("write - storage says ready once the header is accepted, before any byte is sent", async () => {
  const upload = client.openUpload(header("/ready.txt"));
  assert.equal(await errorCode(upload.ready), "resolved");
  await upload.write(Buffer.from("after ready"));
  assert.equal((await upload.finish("close_notify")).size, 11);
});

test("read - streams from an offset; beyond the end is refused", async () => {
  await writeFile(join(dataDir, "files/alice/abc.txt"), "0123456789");
  const chunks: Buffer[] = [];
  for await (const chunk of client.read(loc("/abc.txt"), 4)) chunks.push(chunk);
  assert.equal(Buffer.concat(chunks).toString(), "456789");
  assert.equal(await errorCode((async () => { for await (const _ of client.read(loc("/abc.txt"), 11)); })()), "WHARF_INVALID_ARGUMENT");
  assert.equal(await errorCode((async () => { for await (const _ of client.read(loc("/nope"))); })()), "WHARF_NOT_FOUND");
});

test("folders - mkdir, list, rename, delete, rmdir", async () => {
  await client.mkdir(loc("/in"));
  assert.equal(await errorCode(client.mkdir(loc("/in"))), "WHARF_ALREADY_EXISTS");
  const upload = client.openUpload(header("/in/a.txt"));
  await upload.write(Buffer.from("hello"));
  await upload.finish("fin");
  const names: string[] = [];
  for await (const page of client.list(loc("/in"))) names.push(...page.map((entry) => `${entry.name}:${entry.size}`));
  assert.deepEqual(names, ["a.txt:5"]);
  assert.equal(await errorCode(client.rmdir(loc("/in"))), "WHARF_DIRECTORY_NOT_EMPTY");
  await client.rename(loc("/in/a.txt"), "/in/b.txt");
  assert.equal((await client.stat(loc("/in/b.txt"))).size, 5);
  assert.equal(await errorCode(client.delete(loc("/in"))), "WHARF_IS_A_DIRECTORY");
  await client.delete(loc("/in/b.txt"));
  await client.rmdir(loc("/in"));
  assert.equal(await errorCode(client.stat(loc("/in"))), "WHARF_NOT_FOUND");
  assert.equal(await errorCode(client.rmdir(loc("/"))), "WHARF_PERMISSION_DENIED");
});

test("confinement - .., NUL, other roots and symlinks out are refused", async () => {
  await mkdir(join(dataDir, "files/bob"), { recursive: true });
  await writeFile(join(dataDir, "files/bob/secret.txt"), "bob's");
  await symlink(join(dataDir, "files/bob"), join(dataDir, "files/alice/to-bob"));
  await symlink("/etc", join(dataDir, "files/alice/etc"));
  assert.equal(await errorCode(client.stat(loc("/../bob/secret.txt"))), "WHARF_INVALID_PATH");
  assert.equal(await errorCode(client.stat(loc("/a\0b"))), "WHARF_INVALID_PATH");
  assert.equal(await errorCode(client.stat(loc("/x", "../bob"))), "WHARF_INVALID_PATH");
  assert.equal(await errorCode(client.stat(loc("/to-bob/secret.txt"))), "WHARF_PERMISSION_DENIED");
  assert.equal(await errorCode((async () => { for await (const _ of client.read(loc("/etc/hostname"))); })()), "WHARF_PERMISSION_DENIED");
  assert.equal(await errorCode(client.openUpload(header("/to-bob/new.txt")).failed), "WHARF_PERMISSION_DENIED");
  const listed: string[] = [];
  for await (const page of client.list(loc("/"))) listed.push(...page.map((entry) => entry.name));
  assert.ok(!listed.includes("to-bob") && !listed.includes("etc"), `links out are not listed: ${listed}`);
  assert.equal(await readFile(join(dataDir, "files/bob/secret.txt"), "utf8"), "bob's");
});

test("write - when the event cannot be published, the previous version stays and the error says so", async () => {
  await writeFile(join(dataDir, "files/alice/published.txt"), "version 1");
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(streams.events.name);
  try {
    const upload = client.openUpload(header("/published.txt"));
    await upload.write(Buffer.from("version 2"));
    assert.equal(await errorCode(upload.finish("close_notify")), "WHARF_UNAVAILABLE");
    assert.equal(await readFile(join(dataDir, "files/alice/published.txt"), "utf8"), "version 1");
    const fresh = client.openUpload(header("/fresh.txt"));
    await fresh.write(Buffer.from("new"));
    assert.equal(await errorCode(fresh.finish("close_notify")), "WHARF_UNAVAILABLE");
    await assert.rejects(readFile(join(dataDir, "files/alice/fresh.txt")), { code: "ENOENT" });
    assert.deepEqual(await readdir(join(dataDir, "uploads")), []);
  } finally {
    await ensureStream(nc, streams.events);
  }
});

test("write - a rollback puts back what its commit replaced, never removes a version another upload committed meanwhile", async () => {
  // Both open while the name is new; the first commits; the second replaces it and is rolled back.
  const first = client.openUpload(header("/contested.txt"));
  const second = client.openUpload(header("/contested.txt"));
  await Promise.all([first.ready, second.ready]);
  await first.write(Buffer.from("first, committed"));
  await second.write(Buffer.from("second, rolled back"));
  await first.finish("close_notify");
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(streams.events.name);
  try {
    assert.equal(await errorCode(second.finish("close_notify")), "WHARF_UNAVAILABLE");
  } finally {
    await ensureStream(nc, streams.events);
  }
  assert.equal(await readFile(join(dataDir, "files/alice/contested.txt"), "utf8"), "first, committed");
});

test("recovery - trusts the journaled inode, not names: a rolled-back commit is not announced; a link() commit cut before its unlink is", async () => {
  const store = await createFilesystemStore(dataDir, { partialTtlMs: 0 });
  const uploads = join(dataDir, "uploads");
  const destination = join(dataDir, "files/alice/recovered.txt");
  // A crash in a rollback, after the previous version came back: the temp is gone, the name holds the old file.
  await writeFile(destination, "old version");
  const event = (uploadId: string) => ({ uploadId });
  await writeFile(join(uploads, "rolled.part.journal"), JSON.stringify({ destination, previous: true, record: event("rolled"), ino: 1, dev: 1 }));
  // A no-overwrite commit cut between link() and unlink(): temp and name are one file.
  const linked = join(dataDir, "files/alice/linked.txt");
  await writeFile(join(uploads, "linked.part"), "new file");
  await link(join(uploads, "linked.part"), linked);
  const { ino, dev } = await stat(linked);
  await writeFile(join(uploads, "linked.part.journal"), JSON.stringify({ destination: linked, previous: false, record: event("linked"), ino, dev }));
  const report = await store.recover({ atStart: true });
  assert.equal(report.undone, 1);
  assert.deepEqual(report.committed.map((commit) => commit.record), [event("linked")]);
  for (const commit of report.committed) await commit.done();
  assert.equal(await readFile(destination, "utf8"), "old version");
  assert.equal(await readFile(linked, "utf8"), "new file");
  assert.deepEqual(await readdir(uploads), []);
});

test("rename - a file renamed onto itself stays, and its root's usage and metadata with it", async () => {
  const upload = client.openUpload({ ...header("/self.txt"), quotaBytes: 1_000_000_000_000 });
  await upload.write(Buffer.from("myself"));
  await upload.finish("close_notify");
  const ledger = await createUsageLedger(nc, () => Promise.reject(new Error("no recount expected")));
  const before = await ledger.of("alice");
  await client.rename(loc("/self.txt"), "/self.txt");
  assert.equal(await readFile(join(dataDir, "files/alice/self.txt"), "utf8"), "myself");
  assert.deepEqual(await ledger.of("alice"), before);
  assert.equal((await (await createFileMetadataStore(nc)).get("alice", "/self.txt"))?.size, 6);
});

test("write - concurrent uploads to one name: the file is exactly one of them, one event each", async () => {
  const versions = [randomBytes(300_000), randomBytes(300_000), randomBytes(300_000)];
  const results = await Promise.all(
    versions.map(async (bytes) => {
      const upload = client.openUpload(header("/race.bin"));
      for (let offset = 0; offset < bytes.length; offset += 65_536) await upload.write(bytes.subarray(offset, offset + 65_536));
      return upload.finish("close_notify");
    }),
  );
  const stored = await readFile(join(dataDir, "files/alice/race.bin"));
  assert.ok(versions.some((bytes) => bytes.equals(stored)));
  const events = await eventsFor("/race.bin");
  assert.equal(events.length, 3);
  assert.deepEqual(new Set(events.map((event) => event.uploadId)), new Set(results.map((result) => result.uploadId)));
});

test("list - 20,000 entries come in pages of at most 500, all of them once; a listing cancelled halfway closes its folder handle", async () => {
  const folder = join(dataDir, "files/alice/many");
  await mkdir(folder);
  for (let batch = 0; batch < 40; batch++) {
    await Promise.all(Array.from({ length: 500 }, (_, i) => writeFile(join(folder, `entry-${batch}-${i}-${"x".repeat(100)}`), "")));
  }
  const openOnFolder = async () => {
    let count = 0;
    for (const fd of await readdir("/proc/self/fd")) {
      if ((await readlink(`/proc/self/fd/${fd}`).catch(() => "")) === folder) count++;
    }
    return count;
  };
  for (let round = 0; round < 3; round++) {
    for await (const page of client.list(loc("/many"))) {
      assert.ok(page.length > 0);
      break; // the client stops reading after the first page and cancels the call
    }
  }
  await waitFor(async () => ((await openOnFolder()) === 0 ? true : undefined), { what: "storage to close the folder handles" });
  // Read to the end: storage streams the folder (opendir) a page at a time rather than reading it whole.
  const pageSizes: number[] = [];
  const names = new Set<string>();
  for await (const page of client.list(loc("/many"))) {
    pageSizes.push(page.length);
    for (const entry of page) names.add(entry.name);
  }
  assert.equal(names.size, 20_000);
  assert.equal(pageSizes.reduce((sum, size) => sum + size, 0), 20_000, "no entry twice");
  assert.ok(Math.max(...pageSizes) <= 500, String(Math.max(...pageSizes)));
});

test("write - resume keeps the first offset bytes, append keeps all; beyond the end is refused (no holes)", async () => {
  const original = randomBytes(10_000);
  await writeFile(join(dataDir, "files/alice/grow.bin"), original);
  const tail = randomBytes(5_000);
  const resumed = client.openUpload(header("/grow.bin", "alice", { offset: 4_000 }));
  await resumed.write(tail);
  const result = await resumed.finish("close_notify");
  const expected = Buffer.concat([original.subarray(0, 4_000), tail]);
  assert.deepEqual(await readFile(join(dataDir, "files/alice/grow.bin")), expected);
  assert.equal(result.sha256, createHash("sha256").update(expected).digest("hex"));
  const appended = client.openUpload(header("/grow.bin", "alice", { append: true }));
  await appended.write(Buffer.from("++"));
  await appended.finish("close_notify");
  assert.deepEqual(await readFile(join(dataDir, "files/alice/grow.bin")), Buffer.concat([expected, Buffer.from("++")]));
  assert.equal(await errorCode(client.openUpload(header("/grow.bin", "alice", { offset: 1_000_000 })).failed), "WHARF_INVALID_ARGUMENT");
  const fresh = client.openUpload(header("/new-append.bin", "alice", { append: true }));
  await fresh.write(Buffer.from("first"));
  await fresh.finish("close_notify");
  assert.equal(await readFile(join(dataDir, "files/alice/new-append.bin"), "utf8"), "first");
});

test("quota - bytes and files enforced during the write, by two storage instances sharing the ledger; a refused upload leaves nothing", async () => {
  // A second storage instance on the same bus and ledger. (It shares the folder too, which is fine for
  // this test's distinct names; two instances committing to one name at once are not safe yet.)
  const parts = await createStorageParts(nc, { kind: "filesystem", dataDir }, { partialTtlMs: 3_600_000, now: () => clock });
  const { store } = parts;
  const other = await startStorageService("127.0.0.1:0", { ...parts, nc, log, metrics: createStorageMetrics(createMetricsRegistry("storage-2")), uploadIdleTimeoutMs: 1_000 });
  const clientB = createStorageClient(other.address);
  const quota = { quotaBytes: 100_000, quotaFiles: 3 };
  const put = async (via: StorageClient, path: string, size: number) => {
    const upload = via.openUpload({ ...header(path, "quota"), ...quota });
    try {
      await upload.ready;
      await upload.write(Buffer.alloc(size, 1));
      await upload.finish("close_notify");
      return "stored";
    } catch (error) {
      return error instanceof WharfError ? error.code : String(error);
    }
  };
  try {
    const seen = {
      "A: a.bin 60000": await put(client, "/a.bin", 60_000),
      "B: b.bin 60000 (40000 left)": await put(clientB, "/b.bin", 60_000),
      "B: b.bin 30000": await put(clientB, "/b.bin", 30_000),
      "A: c.bin 5000": await put(client, "/c.bin", 5_000),
      "B: d.bin 1 (3 files already)": await put(clientB, "/d.bin", 1),
      "A: a.bin replaced by 65000 (exactly full)": await put(client, "/a.bin", 65_000),
    };
    assert.deepEqual(seen, {
      "A: a.bin 60000": "stored",
      "B: b.bin 60000 (40000 left)": "WHARF_QUOTA_EXCEEDED",
      "B: b.bin 30000": "stored",
      "A: c.bin 5000": "stored",
      "B: d.bin 1 (3 files already)": "WHARF_QUOTA_EXCEEDED",
      "A: a.bin replaced by 65000 (exactly full)": "stored",
    });
    // A delete through one instance makes room for an upload through the other.
    await clientB.delete(loc("/c.bin", "quota"));
    assert.equal(await put(client, "/d.bin", 1), "stored");
    await client.delete(loc("/d.bin", "quota"));
    // Two uploads racing for the last 5,000 bytes and the last file: both fit while they run, one fits in the ledger.
    const race = await Promise.all([put(client, "/e.bin", 4_000), put(clientB, "/f.bin", 4_000)]);
    assert.deepEqual(race.sort(), ["WHARF_QUOTA_EXCEEDED", "stored"]);
    const onDisk = (await readdir(join(dataDir, "files/quota"))).sort();
    assert.equal(onDisk.length, 3, onDisk.join());
    assert.deepEqual(onDisk.slice(0, 2), ["a.bin", "b.bin"]);
    assert.equal((await readFile(join(dataDir, "files/quota/b.bin"))).length, 30_000, "the refused 60,000-byte b.bin left nothing");
    assert.equal((await eventsFor("/b.bin")).filter((event) => event.root === "quota").length, 1);
    await waitFor(async () => ((await readdir(join(dataDir, "uploads"))).length === 0 ? true : undefined), { what: "no temp file left" });
    // The ledger agrees with the disk.
    assert.deepEqual(await store.usage("quota"), { bytes: 65_000 + 30_000 + 4_000, files: 3 });
    const ledger = await createUsageLedger(nc, () => Promise.reject(new Error("the ledger has the count; no recount expected")));
    assert.deepEqual(await ledger.of("quota"), { bytes: 99_000, files: 3 });
  } finally {
    clientB.close();
    await other.stop(1_000);
  }
});

test("metrics - commit latency, bytes read, and why uploads ended", async () => {
  const upload = client.openUpload(header("/measured.bin"));
  await upload.write(Buffer.alloc(10_000, 9));
  await upload.finish("close_notify");
  let read = 0;
  for await (const chunk of client.read(loc("/measured.bin"), 0)) read += chunk.byteLength;
  assert.equal(read, 10_000);
  const text = await registry.metrics();
  assert.match(text, /wharf_storage_commit_duration_seconds_count\{service="storage"\} [1-9]/);
  assert.match(text, /wharf_storage_read_bytes_total\{service="storage"\} ([1-9]\d{4,})/);
  assert.match(text, /wharf_storage_uploads_total\{outcome="committed",service="storage"\} [1-9]/);
  assert.match(text, /wharf_storage_uploads_total\{outcome="aborted",service="storage"\} [1-9]/);
});

test("partials - a cut upload is kept: REST n continues it, APPE adds to it, past its end is refused, a commit drops it, and it expires", async () => {
  const full = randomBytes(4 * 1024 * 1024);
  const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
  const tempBytes = async () => {
    let total = 0;
    for (const name of await readdir(join(dataDir, "uploads"))) total += (await stat(join(dataDir, "uploads", name)).catch(() => undefined))?.size ?? 0;
    return total;
  };
  /**
   * Sends the first bytes of `full`, waits until storage has written some of them (it writes in 1 MiB
   * batches), and cuts the upload; resolves with how much storage kept: all it had received.
   */
  const cutAfter = async (path: string, bytes: number) => {
    const cut = client.openUpload(header(path));
    await cut.ready;
    for (let offset = 0; offset < bytes; offset += 65_536) await cut.write(full.subarray(offset, Math.min(bytes, offset + 65_536)));
    await waitFor(async () => ((await tempBytes()) >= 1024 * 1024 ? true : undefined), { what: "storage to write the first batch" });
    cut.cancel();
    return waitFor(
      () =>
        client.stat(loc(path), { preferPartial: true }).then(
          (entry) => entry.size,
          () => undefined,
        ),
      { what: "the cut upload to be kept" },
    );
  };
  const kept = await cutAfter("/resumable.bin", 3 * 1024 * 1024);
  assert.ok(kept >= 1024 * 1024 && kept <= 3 * 1024 * 1024, String(kept));
  assert.equal(await errorCode(client.stat(loc("/resumable.bin"))), "WHARF_NOT_FOUND", "a partial is never the file");
  assert.equal(await errorCode(client.openUpload(header("/resumable.bin", "alice", { offset: kept + 1 })).ready), "WHARF_INVALID_ARGUMENT");
  const resumed = client.openUpload(header("/resumable.bin", "alice", { offset: kept }));
  await resumed.write(full.subarray(kept));
  assert.equal((await resumed.finish("close_notify")).sha256, sha256(full));
  assert.deepEqual(await readFile(join(dataDir, "files/alice/resumable.bin")), full);
  assert.equal((await client.stat(loc("/resumable.bin"), { preferPartial: true })).size, full.length, "the commit dropped the partial");

  // APPE continues a kept partial too.
  const keptAgain = await cutAfter("/appended.bin", 2 * 1024 * 1024);
  const appended = client.openUpload(header("/appended.bin", "alice", { append: true }));
  await appended.write(full.subarray(keptAgain));
  assert.equal((await appended.finish("close_notify")).sha256, sha256(full));

  // A partial older than its time to live is gone.
  await cutAfter("/expiring.bin", 2 * 1024 * 1024);
  clock += 3_600_000;
  assert.equal(await errorCode(client.stat(loc("/expiring.bin"), { preferPartial: true })), "WHARF_NOT_FOUND");
  // The sweep takes every other expired partial (the cut upload of an earlier test).
  await partials.sweep();
  assert.deepEqual(await readdir(join(dataDir, "partials")), []);
});

test("metadata - each commit records checksum, size and uploader; HASH is answered from it while the file is unchanged", async () => {
  const bytes = randomBytes(100_000);
  const upload = client.openUpload(header("/summed.bin"));
  await upload.write(bytes);
  const { sha256, uploadId } = await upload.finish("close_notify");
  const recorded = await (await createFileMetadataStore(nc)).get("alice", "/summed.bin");
  assert.deepEqual(
    { sha256: recorded?.sha256, size: recorded?.size, user: recorded?.user, uploadId: recorded?.uploadId, streamEnd: recorded?.streamEnd },
    { sha256, size: 100_000, user: "alice", uploadId, streamEnd: "close_notify" },
  );
  const fromMetadata = async () => (await registry.getSingleMetric("wharf_storage_checksums_total")?.get())?.values.find((v) => v.labels.source === "metadata")?.value ?? 0;
  const before = await fromMetadata();
  assert.equal((await client.checksum(loc("/summed.bin"))).sha256, sha256);
  assert.equal(await fromMetadata(), before + 1);
  // Changed outside Wharf, same size: the record no longer describes the file, so the bytes are read.
  const changed = randomBytes(100_000);
  await writeFile(join(dataDir, "files/alice/summed.bin"), changed);
  assert.equal((await client.checksum(loc("/summed.bin"))).sha256, createHash("sha256").update(changed).digest("hex"));
  assert.equal(await fromMetadata(), before + 1);
  // A rename takes the record along; a delete drops it.
  await writeFile(join(dataDir, "files/alice/summed.bin"), bytes);
  await client.rename(loc("/summed.bin"), "/renamed-sum.bin");
  assert.equal((await (await createFileMetadataStore(nc)).get("alice", "/renamed-sum.bin"))?.uploadId, uploadId);
  await client.delete(loc("/renamed-sum.bin"));
  assert.equal(await (await createFileMetadataStore(nc)).get("alice", "/renamed-sum.bin"), undefined);
});

test("quota - kept partials count against the quota, except the one a resume continues", async () => {
  const quota = { quotaBytes: 4 * 1024 * 1024, quotaFiles: 0 };
  const at = (path: string, extra: Record<string, unknown> = {}) => ({ ...header(path, "parked"), ...quota, ...extra });
  const full = randomBytes(3 * 1024 * 1024);
  const cut = client.openUpload(at("/big.bin"));
  await cut.ready;
  for (let offset = 0; offset < full.length; offset += 65_536) await cut.write(full.subarray(offset, offset + 65_536));
  await waitFor(async () => {
    const names = await readdir(join(dataDir, "uploads"));
    const sizes = await Promise.all(names.map((name) => stat(join(dataDir, "uploads", name)).then((info) => info.size, () => 0)));
    return sizes.some((size) => size >= 1024 * 1024) ? true : undefined;
  }, { what: "storage to write the first batch" });
  cut.cancel();
  const kept = await waitFor(() => client.stat(loc("/big.bin", "parked"), { preferPartial: true }).then((entry) => entry.size, () => undefined), { what: "the partial" });
  // Another name may use only what the partial leaves.
  const other = client.openUpload(at("/other.bin"));
  const tooBig = await other.ready.then(() => other.write(Buffer.alloc(quota.quotaBytes - kept + 1, 1))).then(() => other.finish("close_notify")).then(() => "stored", (error: unknown) => (error instanceof WharfError ? error.code : String(error)));
  assert.equal(tooBig, "WHARF_QUOTA_EXCEEDED");
  // The resume itself has the whole quota: its kept bytes become the new version's.
  const resumed = client.openUpload(at("/big.bin", { offset: kept }));
  await resumed.write(full.subarray(kept));
  await resumed.finish("close_notify");
  assert.deepEqual(await readFile(join(dataDir, "files/parked/big.bin")), full);
});

test("recovery - a commit that cannot be announced at start is announced as soon as the stream is back", async () => {
  const store = await createFilesystemStore(dataDir, { partialTtlMs: 0 });
  const destination = join(dataDir, "files/alice/late.txt");
  await writeFile(destination, "late");
  const { ino, dev } = await stat(destination);
  const event = fileStoredEvent("alice", "/late.txt", "late", { uploadId: `late-${Date.now()}` });
  await writeFile(join(dataDir, "uploads/late.part.journal"), JSON.stringify({ destination, previous: false, record: event, ino, dev }));
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(streams.events.name);
  let recovery: Awaited<ReturnType<typeof recoverCommits>> | undefined;
  try {
    recovery = await recoverCommits({ store, files: await createFileMetadataStore(nc), nc, log, metrics: createStorageMetrics(createMetricsRegistry("recovery-test")) }, { retryMs: 50 });
    assert.equal(recovery.pending(), 1, "no stream, no announcement yet");
  } finally {
    await ensureStream(nc, streams.events);
  }
  const running = recovery;
  await waitFor(async () => (running.pending() === 0 ? true : undefined), { what: "the retry to announce the commit" });
  running.stop();
  assert.equal((await eventsFor("/late.txt")).length, 1);
  assert.deepEqual(await readdir(join(dataDir, "uploads")), []);
});

test("usage - a recount overtaken by a commit goes on with the ledger's latest count instead of starving", async () => {
  let clock = 0;
  let counts = 0;
  const ledger: UsageLedger = await createUsageLedger(
    nc,
    async () => {
      counts++;
      // From the second count on, a commit lands while the folder is being walked.
      if (counts > 1) await ledger.change("busy-root", { bytes: 10, files: 1 });
      return { bytes: 100, files: 1 };
    },
    { recountMs: 1_000, now: () => clock },
  );
  assert.deepEqual(await ledger.of("busy-root"), { bytes: 100, files: 1 });
  clock += 2_000;
  assert.deepEqual(await ledger.of("busy-root"), { bytes: 110, files: 2 });
  assert.equal(counts, 2, "one walk, not eight");
});

test("rename - without overwrite a taken name is refused and nothing moves; a free one is taken atomically", async () => {
  await writeFile(join(dataDir, "files/alice/keep-a.txt"), "a");
  await writeFile(join(dataDir, "files/alice/keep-b.txt"), "b");
  assert.equal(await errorCode(client.rename(loc("/keep-a.txt"), "/keep-b.txt", { noOverwrite: true })), "WHARF_ALREADY_EXISTS");
  assert.equal(await readFile(join(dataDir, "files/alice/keep-a.txt"), "utf8"), "a");
  assert.equal(await readFile(join(dataDir, "files/alice/keep-b.txt"), "utf8"), "b");
  await client.rename(loc("/keep-a.txt"), "/keep-c.txt", { noOverwrite: true });
  assert.equal(await readFile(join(dataDir, "files/alice/keep-c.txt"), "utf8"), "a");
  await assert.rejects(readFile(join(dataDir, "files/alice/keep-a.txt")), { code: "ENOENT" });
});
