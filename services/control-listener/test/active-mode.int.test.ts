/**
 * Active mode switched on for a port: PORT/EPRT connect only to the control
 * peer's own address and ports ≥ 1024 (RFC 2577 §2–3), and real clients
 * (curl, Python ftplib) move files byte for byte over active TLS data
 * connections that resume the control session.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { dataTls, runPython } from "@wharf/testing";
import { type ListenerStack, logIn, PASSWORD, startListenerStack, USER } from "./harness.js";

const run = promisify(execFile);

let stack: ListenerStack;
let plain: ListenerStack;
before(async () => {
  stack = await startListenerStack({ activeMode: true });
  plain = await startListenerStack({ activeMode: true, tlsMode: "none", secureClientsOnly: false, requireProtectedData: false });
});
after(async () => {
  await stack.stop();
  await plain.stop();
});

/** A listening socket on `host` that records every connection it gets. */
async function listenOn(host: string): Promise<{ server: Server; port: number; connections: Socket[] }> {
  const server = createServer({ pauseOnConnect: true });
  const connections: Socket[] = [];
  server.on("connection", (socket) => connections.push(socket));
  server.listen(0, host);
  await once(server, "listening");
  return { server, port: (server.address() as { port: number }).port, connections };
}

/** How many of these verbs the stack's listener has received. */
async function received(target: ListenerStack, verbs: string[]): Promise<number> {
  const metric = target.registry.getSingleMetric("wharf_ftp_commands_total");
  assert.ok(metric, "the listener registers wharf_ftp_commands_total");
  const { values } = await metric.get();
  return values.filter((value) => verbs.includes(String(value.labels.command))).reduce((sum, value) => sum + value.value, 0);
}

const portArgument = (host: string, port: number) => `${host.replaceAll(".", ",")},${port >> 8},${port & 255}`;

describe("active mode on: no bounce", () => {
  test("PORT and EPRT to another address are 500 and nothing connects there, even when a transfer follows", async () => {
    const bait = await listenOn("127.0.0.2");
    const control = await logIn(stack);
    try {
      assert.equal((await control.command(`PORT ${portArgument("127.0.0.2", bait.port)}`)).code, 500);
      assert.equal((await control.command(`EPRT |1|127.0.0.2|${bait.port}|`)).code, 500);
      assert.equal((await control.command(`EPRT |2|::1|${bait.port}|`)).code, 500);
      // No data endpoint was set, so the transfer has nowhere to go.
      assert.equal((await control.command("LIST")).code, 425);
      assert.equal(bait.connections.length, 0);
    } finally {
      control.close();
      bait.server.close();
    }
  });

  test("reserved ports (below 1024) of the client's own address are 504", async () => {
    const control = await logIn(stack);
    assert.deepEqual(await control.codes(`PORT ${portArgument("127.0.0.1", 25)}`, "EPRT |1|127.0.0.1|1023|", "PORT 127,0,0,1,0,0"), [
      "PORT 127,0,0,1,0,25 -> 504",
      "EPRT |1|127.0.0.1|1023| -> 504",
      "PORT 127,0,0,1,0,0 -> 501",
    ]);
    control.close();
  });

  test("a client that names a port nobody listens on gets 425 and keeps its session", async () => {
    const closed = await listenOn("127.0.0.1");
    closed.server.close();
    await once(closed.server, "close");
    const control = await logIn(stack);
    assert.equal((await control.command(`EPRT |1|127.0.0.1|${closed.port}|`)).code, 200);
    assert.equal((await control.command("LIST")).code, 425);
    assert.equal((await control.command("NOOP")).code, 200);
    control.close();
  });
});

describe("active mode on: transfers", () => {
  test("raw client: PORT, STOR over TLS resuming the control session, then EPRT and RETR", async () => {
    const content = randomBytes(64 * 1024);
    const control = await logIn(stack);
    const client = await listenOn("127.0.0.1");
    try {
      assert.equal((await control.command(`PORT ${portArgument("127.0.0.1", client.port)}`)).code, 200);
      assert.equal((await control.command("TYPE I")).code, 200);
      control.send("STOR active-raw.bin\r\n");
      const [raw] = (await once(client.server, "connection")) as [Socket];
      assert.equal((await control.read()).code, 150);
      const upload = await dataTls(raw, control);
      assert.equal(upload.isSessionReused(), true);
      upload.end(content);
      assert.equal((await control.read()).code, 226);

      assert.equal((await control.command(`EPRT |1|127.0.0.1|${client.port}|`)).code, 200);
      control.send("RETR active-raw.bin\r\n");
      const [rawDown] = (await once(client.server, "connection")) as [Socket];
      assert.equal((await control.read()).code, 150);
      const download = await dataTls(rawDown, control);
      const chunks: Buffer[] = [];
      for await (const chunk of download) chunks.push(chunk as Buffer);
      assert.equal((await control.read()).code, 226);
      assert.ok(Buffer.concat(chunks).equals(content));
      const stored = await readFile(join(stack.dataDir, "storage/files", USER, "active-raw.bin"));
      assert.ok(stored.equals(content));
    } finally {
      control.close();
      client.server.close();
    }
  });

  // curl 7.87-7.88 (Debian 12 ships 7.88.1) sends active-mode FTPS data in the clear (curl/curl#10666),
  // which Wharf rightly refuses with 522; so curl's active mode is checked on a plain port, lftp's over TLS.
  test("curl --ftp-port on a plain port: upload and download, byte for byte", async () => {
    const content = randomBytes(300 * 1024);
    const local = join(plain.dataDir, "curl-active.bin");
    const back = join(plain.dataDir, "curl-active-back.bin");
    await writeFile(local, content);
    const url = `ftp://127.0.0.1:${plain.port}/curl-active.bin`;
    const curl = (...args: string[]) => run("curl", ["--silent", "--show-error", "--max-time", "30", "--ftp-port", "127.0.0.1", "-u", `${USER}:${PASSWORD}`, ...args]);
    await curl("-T", local, url);
    await curl("-o", back, url);
    assert.equal(await received(plain, ["PASV", "EPSV"]), 0);
    assert.ok((await received(plain, ["PORT", "EPRT"])) >= 2);
    assert.ok((await readFile(join(plain.dataDir, "storage/files", USER, "curl-active.bin"))).equals(content));
    assert.ok((await readFile(back)).equals(content));
  });

  test("lftp with passive mode off: upload, list and download over explicit FTPS, byte for byte", async () => {
    const content = randomBytes(300 * 1024);
    const local = join(stack.dataDir, "lftp-active.bin");
    const back = join(stack.dataDir, "lftp-active-back.bin");
    await writeFile(local, content);
    const [passiveBefore, activeBefore] = [await received(stack, ["PASV", "EPSV"]), await received(stack, ["PORT", "EPRT"])];
    const settings = "set ssl:verify-certificate no; set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ftp:passive-mode off; set ftp:port-range 1024-65535; set net:max-retries 1";
    const { stdout } = await run("lftp", ["-u", `${USER},${PASSWORD}`, "-e", `${settings}; put ${local} -o lftp-active.bin; cls -1; get lftp-active.bin -o ${back}; bye`, `ftp://127.0.0.1:${stack.port}`], { timeout: 60_000 });
    assert.match(stdout, /lftp-active\.bin/);
    assert.ok((await readFile(join(stack.dataDir, "storage/files", USER, "lftp-active.bin"))).equals(content));
    assert.ok((await readFile(back)).equals(content));
    assert.equal(await received(stack, ["PASV", "EPSV"]), passiveBefore, "lftp used no passive mode");
    assert.ok((await received(stack, ["PORT", "EPRT"])) >= activeBefore + 3, "lftp used active mode for each transfer");
    const reuse = await stack.registry.getSingleMetricAsString("wharf_ftp_data_tls_total");
    assert.doesNotMatch(reuse, /outcome="refused"[^\n]* [1-9]/);
  });

  test("Python ftplib in active mode: STOR, NLST, RETR over TLS data connections", async () => {
    const content = randomBytes(200 * 1024);
    const local = join(stack.dataDir, "ftplib-active.bin");
    const out = join(stack.dataDir, "ftplib-active-back.bin");
    await writeFile(local, content);
    const result = JSON.parse(await runPython("ftplib_client.py", ["active-roundtrip", "127.0.0.1", String(stack.port), USER, PASSWORD, local, "ftplib-active.bin", out])) as {
      stor: string;
      nlst: string[];
      retr: string;
    };
    assert.match(result.stor, /^226/);
    assert.match(result.retr, /^226/);
    assert.ok(result.nlst.includes("ftplib-active.bin"));
    assert.ok((await readFile(out)).equals(content));
  });
});
