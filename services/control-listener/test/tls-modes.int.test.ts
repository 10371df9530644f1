import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { connect } from "node:net";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { Client } from "basic-ftp";
import { RawFtpControl } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER } from "./harness.js";

async function roundTrip(client: Client, name: string) {
  const bytes = randomBytes(300_000);
  assert.equal((await client.uploadFrom(Readable.from([bytes]), name)).code, 226);
  assert.ok((await client.list("/")).some((entry) => entry.name === name && entry.size === bytes.length));
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  await client.downloadTo(sink, name);
  assert.ok(Buffer.concat(chunks).equals(bytes));
}

describe("implicit FTPS", () => {
  let stack: ListenerStack;
  before(async () => {
    stack = await startListenerStack({ tlsMode: "implicit" });
  });
  after(() => stack.stop());

  test("basic-ftp (secure: implicit) uploads, lists and downloads", async () => {
    const client = new Client(10_000);
    try {
      await client.access({ host: "127.0.0.1", port: stack.port, user: USER, password: PASSWORD, secure: "implicit", secureOptions: { rejectUnauthorized: false } });
      await roundTrip(client, "implicit.bin");
      assert.equal((await stack.eventsFor("/implicit.bin")).length, 1);
    } finally {
      client.close();
    }
  });

  test("the greeting comes only inside TLS; PROT P is implied (no PBSZ/PROT), and FEAT offers no AUTH", async () => {
    const socket = tlsConnect({ port: stack.port, host: "127.0.0.1", rejectUnauthorized: false });
    await once(socket, "secureConnect");
    socket.setEncoding("utf8");
    const [greeting] = (await once(socket, "data")) as [string];
    assert.match(greeting, /^220 /);
    socket.write(`USER ${USER}\r\nPASS ${PASSWORD}\r\nFEAT\r\nPROT C\r\nAUTH TLS\r\n`);
    let text = "";
    while (!/^503 /m.test(text)) text += ((await once(socket, "data")) as [string])[0];
    assert.match(text, /^230 /m);
    assert.doesNotMatch(text, /AUTH TLS\r\n/);
    assert.match(text, /^534 /m, "PROT C is refused: data must be protected");
    socket.destroy();
  });

  test("plaintext on the implicit port gets no greeting in the clear and is closed", async () => {
    const socket = connect({ port: stack.port, host: "127.0.0.1" });
    await once(socket, "connect");
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", () => undefined);
    socket.write(`USER ${USER}\r\n`);
    await once(socket, "close");
    assert.doesNotMatch(Buffer.concat(received).toString("latin1"), /220|331/);
  });
});

describe("plain FTP port", () => {
  let stack: ListenerStack;
  before(async () => {
    stack = await startListenerStack({ tlsMode: "none", secureClientsOnly: false, requireProtectedData: false });
  });
  after(() => stack.stop());

  test("basic-ftp without TLS uploads, lists and downloads", async () => {
    const client = new Client(10_000);
    try {
      await client.access({ host: "127.0.0.1", port: stack.port, user: USER, password: PASSWORD, secure: false });
      await roundTrip(client, "plain.bin");
    } finally {
      client.close();
    }
  });

  test("AUTH TLS is not offered (502) and FEAT lists no TLS", async () => {
    const control = await RawFtpControl.connect(stack.port);
    assert.equal((await control.read()).code, 220);
    const feat = await control.command("FEAT");
    assert.doesNotMatch(feat.text, /AUTH TLS|PBSZ|PROT/);
    assert.equal((await control.command("AUTH TLS")).code, 502);
    assert.equal((await control.command("NOOP")).code, 200);
    control.close();
  });
});
