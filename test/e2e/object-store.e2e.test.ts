/**
 * `npm start` with the JetStream object-store backend (WHARF_STORAGE_BACKEND=nats):
 * a partner's curl upload is stored in NATS, not in the data folder, comes back
 * byte for byte, resumes with curl -C -, and is announced once.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@wharf/bus";
import { buckets, streams, subjects } from "@wharf/contracts";
import { streamMessages } from "@wharf/testing";
import { connectAsAdmin, type RunningWharf, startWharf, stopWharf } from "./stack.js";

const run = promisify(execFile);
let wharf: RunningWharf;
let nc: NatsConnection;

before(async () => {
  wharf = await startWharf({ extraEnv: { WHARF_STORAGE_BACKEND: "nats" } });
  nc = await connectAsAdmin(wharf, "e2e-objects");
});

after(async () => {
  await nc?.close();
  await stopWharf(wharf);
});

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const url = (path = "") => `ftp://127.0.0.1:${wharf.ftpPort}/${path}`;
const curl = (...args: string[]) =>
  run("curl", ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--max-time", "60", "-u", `demo:${wharf.password}`, ...args], { maxBuffer: 64 * 1024 * 1024, encoding: "buffer" });

test("curl stores 3 MiB in the object store, lists it, downloads the same bytes, and resumes a partial download; one event", async () => {
  const original = randomBytes(3 * 1024 * 1024 + 17);
  const source = join(wharf.dataDir, "source.bin");
  await writeFile(source, original);
  await curl("-T", source, url("in-nats.bin"));
  assert.match((await curl(url())).stdout.toString(), /^-rw-r--r-- .* 3145745 .* in-nats\.bin\r?$/m);
  assert.ok((await curl(url("in-nats.bin"))).stdout.equals(original));
  // A download resumed from byte 1,000,000 (curl -C 1000000 sends REST).
  assert.ok((await curl("-C", "1000000", url("in-nats.bin"))).stdout.equals(original.subarray(1_000_000)));
  // The bytes are in NATS: one object of that size, nothing in the data folder's files/.
  const objects = await (await new Objm(nc).open(buckets.objects)).list();
  assert.ok(objects.some((info) => info.size === original.length && (info.description ?? "").endsWith(":/in-nats.bin")), JSON.stringify(objects.map((info) => info.description)));
  assert.deepEqual(await readdir(join(wharf.dataDir, "files")).catch(() => []), []);
  const events = (await streamMessages(nc, streams.events.name, subjects.fileStored)).map((message) => message.body).filter((body) => body.path === "/in-nats.bin");
  assert.equal(events.length, 1);
  assert.equal(events[0]?.sha256, sha256(original));
});
