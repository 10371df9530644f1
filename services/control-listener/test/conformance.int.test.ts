/**
 * PROTOCOL.md §5 rows with real sockets that the other listener tests do not
 * cover: old TLS versions and weak suites (T13, T14), a silent client on an
 * implicit port (T18), another user's files (T47), no internals in error
 * replies (T53), an upload invisible until its 226 (T55) and byte-exact
 * transfers of edge sizes (T65).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { dataTls, RawFtpControl } from "@wharf/testing";
import { type ListenerStack, logIn, openDataSocket, PASSWORD, startListenerStack, USER } from "./harness.js";

let stack: ListenerStack;
let implicit: ListenerStack;
let plain: ListenerStack;
before(async () => {
  stack = await startListenerStack({ maxSessionsPerIp: 1_000 });
  implicit = await startListenerStack({ tlsMode: "implicit", loginTimeoutMs: 1_000 });
  plain = await startListenerStack({ tlsMode: "none", secureClientsOnly: false, requireProtectedData: false });
});
after(async () => {
  await stack.stop();
  await implicit.stop();
  await plain.stop();
});

const userFile = (name: string) => join(stack.dataDir, "storage/files", USER, name);
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** AUTH TLS on a fresh control connection, then a TLS handshake with these client options: "connected" or why not. */
async function handshake(options: { minVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2"; maxVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2"; ciphers?: string }) {
  const control = await RawFtpControl.connect(stack.port);
  assert.equal((await control.read()).code, 220);
  assert.equal((await control.command("AUTH TLS")).code, 234);
  const plain = control.socket;
  plain.removeAllListeners("data");
  const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, ...options });
  const outcome = await new Promise<string>((resolve) => {
    secure.once("secureConnect", () => resolve("connected"));
    // The server's alert (protocol_version, handshake_failure) arrives as an error here.
    secure.once("error", (error) => resolve(error.message));
  });
  secure.destroy();
  return outcome;
}

describe("TLS policy", () => {
  test("T13: a ClientHello limited to TLS 1.0 or 1.1 is refused (RFC 8996)", async () => {
    // The server answers with a protocol_version alert (the client, at SECLEVEL 0, does send these hellos).
    assert.match(await handshake({ minVersion: "TLSv1", maxVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" }), /alert protocol version/);
    assert.match(await handshake({ minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" }), /alert protocol version/);
    // The control: TLS 1.2 with ordinary suites works on the same port.
    assert.equal(await handshake({ maxVersion: "TLSv1.2" }), "connected");
  });

  test("T14: TLS 1.2 offering only weak suites (static RSA, 3DES, NULL, anonymous) is refused", async () => {
    assert.match(await handshake({ maxVersion: "TLSv1.2", ciphers: "AES128-SHA:DES-CBC3-SHA:NULL-SHA256:ADH-AES128-SHA:@SECLEVEL=0" }), /alert handshake failure/);
  });

  test("T18: a client that connects to the implicit port and stays silent is closed, with no greeting", async () => {
    const socket = connect({ port: implicit.port, host: "127.0.0.1" });
    await once(socket, "connect");
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", () => undefined);
    await once(socket, "close");
    // Nothing readable came: no 220 in the clear, at most TLS bytes would (and none are sent before a ClientHello).
    assert.doesNotMatch(Buffer.concat(received).toString("latin1"), /220/);
  });
});

describe("isolation and leaks", () => {
  test("T47: another user's files cannot be read, changed or probed through ..", async () => {
    const bobRoot = join(stack.dataDir, "storage/files/bob");
    await mkdir(bobRoot, { recursive: true });
    await writeFile(join(bobRoot, "secret.txt"), "bob's secret");
    const control = await logIn(stack);
    try {
      const existing = await control.command("SIZE /../bob/secret.txt");
      const missing = await control.command("SIZE /../bob/no-such-file.txt");
      assert.equal(existing.code, 550);
      assert.deepEqual(existing, { ...missing, text: existing.text }, "same code for a file that exists and one that does not");
      assert.equal(existing.text.replace("secret.txt", "X"), missing.text.replace("no-such-file.txt", "X"), "no existence oracle in the text");
      assert.deepEqual(await control.codes("DELE ../bob/secret.txt", "RNFR ../../bob/secret.txt", "CWD /../bob"), [
        "DELE ../bob/secret.txt -> 550",
        "RNFR ../../bob/secret.txt -> 550",
        "CWD /../bob -> 550",
      ]);
      control.send("RETR /../bob/secret.txt\r\n");
      assert.equal((await control.read()).code, 550);
      assert.equal(await readFile(join(bobRoot, "secret.txt"), "utf8"), "bob's secret");
    } finally {
      control.close();
    }
  });

  test("T53: failure replies carry no server path, storage address, error class or stack trace", async () => {
    await mkdir(userFile("full"), { recursive: true });
    await writeFile(join(userFile("full"), "x.txt"), "x");
    const control = await logIn(stack);
    const replies: string[] = [];
    for (const line of ["MKD /no/such/folder", "SIZE missing.bin", "MDTM missing.bin", "DELE full", "RMD full", "CWD missing", "RNFR missing.bin", "RETR missing.bin", "STOR /no/such/x.bin", "MLST /no/such"]) {
      const reply = await control.command(line);
      assert.ok(reply.code >= 400, `${line} should fail, got ${reply.code}`);
      replies.push(`${line} -> ${reply.text}`);
    }
    control.close();
    const text = replies.join("\n");
    for (const leak of [stack.dataDir, "/tmp", "files/", "127.0.0.1:", "Error", "ENOENT", "ENOTEMPTY", " at ", "grpc", "WHARF_"]) {
      assert.ok(!text.includes(leak), `a reply leaks "${leak}":\n${text}`);
    }
  });
});

describe("transfers", () => {
  test("T55: an upload in progress is invisible; others see the previous version until the 226", async () => {
    await writeFile(userFile("t55.bin"), "old version");
    const uploader = await logIn(stack);
    const reader = await logIn(stack);
    try {
      assert.equal((await uploader.command("TYPE I")).code, 200);
      const raw = await openDataSocket(uploader);
      uploader.send("STOR t55.bin\r\n");
      assert.equal((await uploader.read()).code, 150);
      const data = await dataTls(raw, uploader);
      const part = randomBytes(512 * 1024);
      await new Promise<void>((resolve) => data.write(part, () => resolve()));
      // The first part is on its way; the file is not complete: readers see the old version only.
      assert.deepEqual(await reader.command("SIZE t55.bin"), { code: 213, text: `213 ${"old version".length}` });
      const listing = await openDataSocket(reader);
      reader.send("NLST\r\n");
      assert.equal((await reader.read()).code, 150);
      const names = (await readAll(await dataTls(listing, reader))).toString().split("\r\n").filter(Boolean);
      assert.equal((await reader.read()).code, 226);
      assert.deepEqual(
        names.filter((name) => name.includes("t55") || name.includes(".part")),
        ["t55.bin"],
      );
      const rest = randomBytes(256 * 1024);
      data.end(rest);
      assert.equal((await uploader.read()).code, 226);
      assert.deepEqual(await reader.command("SIZE t55.bin"), { code: 213, text: `213 ${part.length + rest.length}` });
      assert.equal(sha256(await readFile(userFile("t55.bin"))), sha256(Buffer.concat([part, rest])));
    } finally {
      uploader.close();
      reader.close();
    }
  });

  test("a refused STOR is answered 553 even after the client connected and began TLS early; the session goes on", async () => {
    const control = await logIn(stack);
    try {
      const raw = await openDataSocket(control);
      // basic-ftp and curl start the data TLS handshake at once, before any 150.
      const early = dataTls(raw, control).catch(() => undefined);
      assert.equal((await control.command("STOR /no/such/folder/x.bin")).code, 553);
      await early;
      assert.equal((await control.command("NOOP")).code, 200);
      // Without any data connection, the refusal comes first too (not 425).
      assert.equal((await control.command("STOR /no/such/folder/x.bin")).code, 553);
    } finally {
      control.close();
    }
  });

  test("a plain client that sends its whole file before the 150 loses nothing", async () => {
    const content = randomBytes(200 * 1024);
    const control = await RawFtpControl.connect(plain.port);
    try {
      assert.equal((await control.read()).code, 220);
      for (const [line, code] of [[`USER ${USER}`, 331], [`PASS ${PASSWORD}`, 230], ["TYPE I", 200]] as const) assert.equal((await control.command(line)).code, code);
      const raw = await openDataSocket(control);
      // The bytes and the FIN are on their way before STOR is even sent.
      raw.end(content);
      control.send("STOR early.bin\r\n");
      assert.equal((await control.read()).code, 150);
      assert.equal((await control.read()).code, 226);
      assert.equal(sha256(await readFile(join(plain.dataDir, "storage/files", USER, "early.bin"))), sha256(content));
    } finally {
      control.close();
    }
  });

  test("T65: 0 B, 1 B, 64 KiB ± 1 and 10 MiB files go up and come back byte for byte; each upload makes one event", async () => {
    const control = await logIn(stack);
    try {
      assert.equal((await control.command("TYPE I")).code, 200);
      for (const size of [0, 1, 65_535, 65_536, 65_537, 10 * 1024 * 1024]) {
        const content = randomBytes(size);
        const name = `t65-${size}.bin`;
        const up = await openDataSocket(control);
        control.send(`STOR ${name}\r\n`);
        assert.equal((await control.read()).code, 150);
        (await dataTls(up, control)).end(content);
        assert.equal((await control.read()).code, 226, `STOR of ${size} bytes`);
        assert.equal(sha256(await readFile(userFile(name))), sha256(content), `stored ${size} bytes`);
        const down = await openDataSocket(control);
        control.send(`RETR ${name}\r\n`);
        assert.equal((await control.read()).code, 150);
        const back = await readAll(await dataTls(down, control));
        assert.equal((await control.read()).code, 226, `RETR of ${size} bytes`);
        assert.equal(sha256(back), sha256(content), `downloaded ${size} bytes`);
        const events = await stack.eventsFor(`/${name}`);
        assert.equal(events.length, 1, `one event for ${size} bytes`);
        assert.equal(events[0]?.sha256, sha256(content));
        assert.equal(Number(events[0]?.size), size);
      }
    } finally {
      control.close();
    }
  });
});

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
