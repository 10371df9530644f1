import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { Client } from "basic-ftp";
import { dataTls, passivePort, type RawFtpControl, runPython, waitFor } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER, logIn } from "./harness.js";

let stack: ListenerStack;
let ftp: Client;

before(async () => {
  stack = await startListenerStack();
  ftp = new Client(10_000);
  await ftp.access({ host: "127.0.0.1", port: stack.port, user: USER, password: PASSWORD, secure: true, secureOptions: { rejectUnauthorized: false } });
});
after(async () => {
  ftp.close();
  await stack.stop();
});

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const stored = (path: string) => join(stack.dataDir, "storage/files", USER, path);

async function download(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  await ftp.downloadTo(sink, path);
  return Buffer.concat(chunks);
}

const loggedIn = () => logIn(stack);

/** Opens the passive data connection of `control` and wraps it in TLS once the server has said 150. */
async function dataConnection(control: RawFtpControl): Promise<{ raw: Socket; port: number }> {
  const port = passivePort(await control.command("EPSV"));
  const raw = connect({ port, host: "127.0.0.1" });
  await once(raw, "connect");
  return { raw, port };
}

describe("uploads and downloads (basic-ftp, PROT P)", () => {
  for (const size of [0, 1, 65_535, 65_536, 65_537, 1024 * 1024 + 3]) {
    test(`a ${size}-byte file round-trips byte for byte and is announced once`, async () => {
      const bytes = randomBytes(size);
      const name = `/file-${size}.bin`;
      const reply = await ftp.uploadFrom(Readable.from([bytes]), name);
      assert.equal(reply.code, 226);
      assert.deepEqual(await download(name), bytes);
      assert.equal(await ftp.size(name), size);
      const events = await stack.eventsFor(name);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.sha256, sha256(bytes));
      assert.equal(events[0]?.size, size);
      assert.equal(events[0]?.user, USER);
    });
  }

  test("LIST and NLST show what was stored", async () => {
    await ftp.uploadFrom(Readable.from([Buffer.from("listed")]), "/listed.txt");
    const entries = await ftp.list("/");
    const listed = entries.find((entry) => entry.name === "listed.txt");
    assert.equal(listed?.size, 6);
    assert.equal(listed?.isFile, true);
    const names = await ftp.send("NOOP");
    assert.equal(names.code, 200);
  });
});

describe("folders and paths", () => {
  test("MKD, CWD, PWD, CDUP, DELE, RMD", async () => {
    assert.equal((await ftp.send("MKD /in")).code, 257);
    assert.equal((await ftp.send("CWD in")).code, 250);
    assert.equal(await ftp.pwd(), "/in");
    await ftp.uploadFrom(Readable.from([Buffer.from("x")]), "order.csv");
    assert.equal((await stack.eventsFor("/in/order.csv")).length, 1);
    assert.equal((await ftp.send("CDUP")).code, 250);
    assert.equal(await ftp.pwd(), "/");
    await assert.rejects(ftp.send("RMD in"), /550/);
    assert.equal((await ftp.send("DELE in/order.csv")).code, 250);
    assert.equal((await ftp.send("RMD in")).code, 250);
    await assert.rejects(ftp.send("CWD in"), /550/);
  });

  test('MKD a"b answers the path with the quote doubled and stores the name as given', async () => {
    const reply = await ftp.send('MKD a"b');
    assert.equal(reply.code, 257);
    assert.match(reply.message, /^257 "\/a""b" created/);
    assert.ok((await ftp.list("/")).some((entry) => entry.name === 'a"b' && entry.isDirectory));
  });

  test("climbing out of the root stays at / and nothing outside is read", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("CWD ../../..")).code, 250);
    assert.match((await control.command("PWD")).text, /^257 "\/"/);
    for (const path of ["../../etc/passwd", "/etc/passwd", "..\\..\\x", "%2e%2e/x", "....//x"]) {
      assert.equal((await control.command(`SIZE ${path}`)).code, 550, path);
      assert.equal((await control.command(`RETR ${path}`)).code, 550, path);
    }
    const error = await control.command("MKD /nope/deeper");
    assert.equal(error.code, 550);
    assert.ok(!error.text.includes(stack.dataDir), "replies never show server paths");
    control.close();
  });

  test("STOR into a missing folder gets 553 before any data", async () => {
    const control = await loggedIn();
    await control.command("EPSV");
    assert.equal((await control.command("STOR /missing/x.txt")).code, 553);
    control.close();
  });
});

describe("how an upload ends", () => {
  /** STOR from a Python client whose data connection sends `size` bytes and ends as told; the transfer's reply code. */
  async function storEndingWith(path: string, ending: "reset" | "fin" | "close_notify", size: number) {
    const reply = await runPython("ftp_session.py", ["127.0.0.1", String(stack.port), USER, PASSWORD, "STOR", path, String(size), ending]);
    return Number(reply.trim());
  }

  test("a reset mid-upload: 426, the previous version intact, no event", async () => {
    await ftp.uploadFrom(Readable.from([Buffer.from("version 1")]), "/cut.txt");
    assert.equal((await stack.eventsFor("/cut.txt")).length, 1);
    assert.equal(await storEndingWith("/cut.txt", "reset", 3 * 1024 * 1024), 426);
    assert.equal(await readFile(stored("cut.txt"), "utf8"), "version 1");
    assert.equal((await stack.eventsFor("/cut.txt")).length, 1);
    await assert.rejects(readFile(stored("cut.txt.part")), { code: "ENOENT" });
  });

  test("close_notify: 226 and the event says so", async () => {
    assert.equal(await storEndingWith("/notify.bin", "close_notify", 200_000), 226);
    const events = await stack.eventsFor("/notify.bin");
    assert.equal(events.length, 1);
    assert.equal(events[0]?.streamEnd, "close_notify");
    assert.equal(events[0]?.size, 200_000);
  });

  test("a bare FIN after the data on a lenient port: 226, and the event records the FIN", async () => {
    assert.equal(await storEndingWith("/fin.bin", "fin", 200_000), 226);
    const events = await stack.eventsFor("/fin.bin");
    assert.equal(events.length, 1);
    assert.equal(events[0]?.streamEnd, "fin");
  });

  test("the control connection closing mid-upload: no file, no event", async () => {
    const control = await loggedIn();
    const { raw } = await dataConnection(control);
    control.send("STOR /orphan.bin\r\n");
    assert.equal((await control.read()).code, 150);
    const secure = await dataTls(raw, control);
    secure.write(randomBytes(64 * 1024));
    control.close();
    await waitFor(() => (raw.destroyed || raw.readableEnded ? true : undefined), { what: "the data connection to be closed by the server" });
    await assert.rejects(readFile(stored("orphan.bin")), { code: "ENOENT" });
    assert.equal((await stack.eventsFor("/orphan.bin")).length, 0);
  });
});

describe("passive ports", () => {
  test("a stranger connecting first is dropped without a byte; the client's LIST still works", async () => {
    const victim = await loggedIn();
    const port = passivePort(await victim.command("EPSV"));
    const stranger = connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
    const received: Buffer[] = [];
    stranger.on("data", (chunk: Buffer) => received.push(chunk));
    stranger.on("error", () => undefined);
    await once(stranger, "close");
    assert.equal(Buffer.concat(received).length, 0);
    const data = connect({ port, host: "127.0.0.1" });
    await once(data, "connect");
    victim.send("LIST\r\n");
    assert.equal((await victim.read()).code, 150);
    const secure = await dataTls(data, victim);
    secure.resume();
    await once(secure, "end");
    assert.equal((await victim.read()).code, 226);
    const metrics = await stack.registry.getSingleMetricAsString("wharf_ftp_foreign_data_connections_total");
    assert.match(metrics, /port="test"[^\n]* [1-9]/);
    victim.close();
  });

  test("ports are drawn at random from the range", async () => {
    const control = await loggedIn();
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) ports.push(passivePort(await control.command("EPSV")));
    assert.ok(ports.every((port) => port >= 40_000 && port <= 49_999));
    const ascending = ports.every((port, i) => i === 0 || port === (ports[i - 1] as number) + 1);
    assert.equal(ascending, false);
    assert.ok(new Set(ports).size > 10);
    control.close();
  });
});

test("the stored file on disk is what the client sent", async () => {
  const bytes = randomBytes(4096);
  await ftp.uploadFrom(Readable.from([bytes]), "/disk.bin");
  assert.deepEqual(await readFile(stored("disk.bin")), bytes);
  await writeFile(stored("disk.bin"), bytes);
});
