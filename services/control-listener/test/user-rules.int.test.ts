/**
 * What a user may do once in (issue 4): folder permissions per verb (550,
 * nothing changed on disk), source addresses, ports, TLS required, rate
 * limits, and a port's shared default root. With basic-ftp, a real client.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PassThrough, Readable } from "node:stream";
import { hashPassword } from "@wharf/auth";
import type { UserRecordInput } from "@wharf/contracts";
import { RawFtpControl, waitFor } from "@wharf/testing";
import { Client, FTPError } from "basic-ftp";
import type { PortSettings } from "../src/config.js";
import { type FtpServer, startFtpServer } from "../src/ftp-server.js";
import { createSessionLimits, openSessionCounts } from "../src/session-limits.js";
import { loadPortTls } from "../src/tls-contexts.js";
import { type ListenerStack, PASSWORD, startListenerStack, USER } from "./harness.js";

let stack: ListenerStack;
const servers: FtpServer[] = [];
const files = (...path: string[]) => join(stack.dataDir, "storage/files", ...path);

async function addUser(user: UserRecordInput): Promise<void> {
  await stack.users.put({ passwordHash: await hashPassword(PASSWORD, stack.argon2), ...user });
  await mkdir(files(user.home), { recursive: true });
}

async function startPort(alias: string, overrides: Partial<PortSettings>): Promise<number> {
  const settings: PortSettings = { ...stack.settings, alias, port: 0, ...overrides };
  const server = await startFtpServer(settings, { ...stack.shared, settings, tls: loadPortTls(settings) });
  servers.push(server);
  return server.port;
}

before(async () => {
  stack = await startListenerStack();
  await addUser({
    name: "bob",
    home: "bob",
    permissions: {
      "/": ["list"],
      "/in": ["list", "write"],
      "/out": ["list", "read"],
      "/work": ["list", "read", "write", "overwrite", "delete", "mkdir", "rename"],
      "/work/locked": [],
    },
  });
  for (const folder of ["in", "out", "work/locked"]) await mkdir(files("bob", folder), { recursive: true });
  await writeFile(files("bob", "in/partner.csv"), "in-original");
  await writeFile(files("bob", "out/report.csv"), "report");
  await writeFile(files("bob", "work/locked/kept.csv"), "kept");
});

after(async () => {
  for (const server of servers) {
    server.stopAccepting();
    await server.closeSessions();
  }
  await stack.stop();
});

async function connect(user: string, { port = stack.port, secure = true as boolean } = {}): Promise<Client> {
  const client = new Client(10_000);
  await client.access({ host: "127.0.0.1", port, user, password: PASSWORD, secure, secureOptions: { rejectUnauthorized: false } });
  return client;
}

/** "ok", or the FTP reply code of the refusal. */
async function outcome(action: Promise<unknown>): Promise<string> {
  try {
    await action;
    return "ok";
  } catch (error) {
    if (error instanceof FTPError) return String(error.code);
    throw error;
  }
}

async function read(client: Client, path: string): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  await client.downloadTo(sink, path);
  return Buffer.concat(chunks).toString();
}

describe("folder permissions", () => {
  test("each verb needs its permission: 550 where it is missing, and nothing changes on disk", async () => {
    const client = await connect("bob");
    const upload = (path: string, text: string) => client.uploadFrom(Readable.from([Buffer.from(text)]), path);
    try {
      const seen = {
        "LIST /out": await outcome(client.list("/out")),
        "LIST /work/locked": await outcome(client.list("/work/locked")),
        "CWD /work/locked": await outcome(client.cd("/work/locked")),
        "RETR /out/report.csv": await outcome(read(client, "/out/report.csv")),
        "RETR /in/partner.csv (no read)": await outcome(read(client, "/in/partner.csv")),
        "STOR /in/new.csv": await outcome(upload("/in/new.csv", "new")),
        "STOR /in/partner.csv (no overwrite)": await outcome(upload("/in/partner.csv", "replaced")),
        "APPE /in/partner.csv (no overwrite)": await outcome(client.appendFrom(Readable.from([Buffer.from("more")]), "/in/partner.csv")),
        "STOR /out/x.csv (no write)": await outcome(upload("/out/x.csv", "x")),
        "DELE /in/partner.csv (no delete)": await outcome(client.remove("/in/partner.csv")),
        "MKD /in/sub (no mkdir)": await outcome(client.send("MKD /in/sub")),
        "RNFR /in/partner.csv (no rename)": await outcome(client.rename("/in/partner.csv", "/in/renamed.csv")),
        "MFMT /out/report.csv (no write)": await outcome(client.send("MFMT 20200101000000 /out/report.csv")),
        "RMD /work (no delete in /)": await outcome(client.send("RMD /work")),
        "DELE /work/locked/kept.csv (locked)": await outcome(client.remove("/work/locked/kept.csv")),
        "STOR /work/a.csv": await outcome(upload("/work/a.csv", "a")),
        "STOR /work/a.csv again (overwrite)": await outcome(upload("/work/a.csv", "a2")),
        "MKD /work/sub": await outcome(client.send("MKD /work/sub")),
        "RNFR /work/a.csv -> /work/sub/a.csv": await outcome(client.rename("/work/a.csv", "/work/sub/a.csv")),
        "RNFR /work/sub/a.csv -> /in/a.csv (no rename in /in)": await outcome(client.rename("/work/sub/a.csv", "/in/a.csv")),
        "DELE /work/sub/a.csv": await outcome(client.remove("/work/sub/a.csv")),
      };
      assert.deepEqual(seen, {
        "LIST /out": "ok",
        "LIST /work/locked": "550",
        "CWD /work/locked": "550",
        "RETR /out/report.csv": "ok",
        "RETR /in/partner.csv (no read)": "550",
        "STOR /in/new.csv": "ok",
        "STOR /in/partner.csv (no overwrite)": "550",
        "APPE /in/partner.csv (no overwrite)": "550",
        "STOR /out/x.csv (no write)": "550",
        "DELE /in/partner.csv (no delete)": "550",
        "MKD /in/sub (no mkdir)": "550",
        "RNFR /in/partner.csv (no rename)": "550",
        "MFMT /out/report.csv (no write)": "550",
        "RMD /work (no delete in /)": "550",
        "DELE /work/locked/kept.csv (locked)": "550",
        "STOR /work/a.csv": "ok",
        "STOR /work/a.csv again (overwrite)": "ok",
        "MKD /work/sub": "ok",
        "RNFR /work/a.csv -> /work/sub/a.csv": "ok",
        "RNFR /work/sub/a.csv -> /in/a.csv (no rename in /in)": "550",
        "DELE /work/sub/a.csv": "ok",
      });
    } finally {
      client.close();
    }
    // Every refusal left the disk as it was.
    assert.equal(await readFile(files("bob", "in/partner.csv"), "utf8"), "in-original");
    assert.equal(await readFile(files("bob", "in/new.csv"), "utf8"), "new");
    assert.deepEqual((await readdir(files("bob", "in"))).sort(), ["new.csv", "partner.csv"]);
    assert.deepEqual(await readdir(files("bob", "out")), ["report.csv"]);
    assert.deepEqual((await readdir(files("bob", "work"))).sort(), ["locked", "sub"]);
    assert.deepEqual(await readdir(files("bob", "work/sub")), []);
    assert.equal(await readFile(files("bob", "work/locked/kept.csv"), "utf8"), "kept");
    const events = await stack.eventsFor("/in/partner.csv");
    assert.equal(events.length, 0, "a refused upload publishes nothing");
  });

  test("every other verb with a path is checked too, and a folder cannot be moved out from under its rules", async () => {
    await addUser({
      name: "olga",
      home: "olga",
      permissions: { "/": ["*"], "/locked": [], "/drop": ["list", "write"], "/staging/inner": [], "/readonly": ["list", "read"] },
    });
    for (const folder of ["locked", "drop", "open", "staging/inner", "readonly"]) await mkdir(files("olga", folder), { recursive: true });
    await writeFile(files("olga", "locked/secret.csv"), "secret");
    await writeFile(files("olga", "drop/existing.csv"), "existing");
    const control = await RawFtpControl.connect(stack.port);
    await control.read();
    await control.login("olga", PASSWORD);
    try {
      assert.deepEqual(
        await control.codes(
          "SIZE /locked/secret.csv",
          "MDTM /locked/secret.csv",
          "MLST /locked/secret.csv",
          "HASH /locked/secret.csv",
          "XSHA256 /locked/secret.csv",
          "NLST /locked",
          "MLSD /locked",
          "SIZE /drop/existing.csv",
          "HASH /drop/existing.csv",
          "MFMT 20200101000000 /drop/existing.csv",
          "REST 2",
          "STOR /drop/existing.csv",
          "CWD /locked",
          "RNFR /locked",
          "RNFR /open",
          "RNTO /staging",
          "RNFR /open",
          "RNTO /moved",
          "CWD /readonly",
          "STOU",
        ),
        [
          "SIZE /locked/secret.csv -> 550",
          "MDTM /locked/secret.csv -> 550",
          "MLST /locked/secret.csv -> 550",
          "HASH /locked/secret.csv -> 550",
          "XSHA256 /locked/secret.csv -> 550",
          "NLST /locked -> 550",
          "MLSD /locked -> 550",
          "SIZE /drop/existing.csv -> 213",
          "HASH /drop/existing.csv -> 550",
          "MFMT 20200101000000 /drop/existing.csv -> 550",
          "REST 2 -> 350",
          "STOR /drop/existing.csv -> 550",
          "CWD /locked -> 550",
          "RNFR /locked -> 550",
          "RNFR /open -> 350",
          "RNTO /staging -> 550",
          "RNFR /open -> 350",
          "RNTO /moved -> 250",
          "CWD /readonly -> 250",
          "STOU -> 550",
        ],
      );
    } finally {
      control.close();
    }
    assert.equal(await readFile(files("olga", "drop/existing.csv"), "utf8"), "existing");
    assert.deepEqual((await readdir(files("olga"))).sort(), ["drop", "locked", "moved", "readonly", "staging"]);
    assert.deepEqual(await readdir(files("olga", "readonly")), [], "STOU wrote nothing where write is missing");
  });

  test("renaming onto an existing file needs overwrite there", async () => {
    await addUser({ name: "dora", home: "dora", permissions: { "/": ["list", "read", "write", "rename"] } });
    await writeFile(files("dora", "a.csv"), "a");
    await writeFile(files("dora", "b.csv"), "b");
    const client = await connect("dora");
    try {
      assert.equal(await outcome(client.rename("a.csv", "b.csv")), "550");
      assert.equal(await outcome(client.rename("a.csv", "c.csv")), "ok");
    } finally {
      client.close();
    }
    assert.equal(await readFile(files("dora", "b.csv"), "utf8"), "b");
    assert.equal(await readFile(files("dora", "c.csv"), "utf8"), "a");
  });
});

describe("per-user login rules", () => {
  test("allowed source addresses: 127.0.0.3 gets in, 127.0.0.1 does not, with the right password", async () => {
    await addUser({ name: "carol", home: "carol", allowedAddresses: ["127.0.0.3/32", "10.0.0.0/8"] });
    assert.equal(await outcome(connect("carol")), "530");
    // basic-ftp cannot pick its source address; the raw client can.
    const control = await RawFtpControl.connect(stack.port, { localAddress: "127.0.0.3" });
    await control.read();
    await control.login("carol", PASSWORD);
    control.close();
  });

  test("allowed ports and TLS required", async () => {
    const plainPort = await startPort("plain", { tlsMode: "none", secureClientsOnly: false, requireProtectedData: false });
    await addUser({ name: "erin", home: "erin", allowedPorts: ["plain"] });
    await addUser({ name: "frank", home: "frank", tlsRequired: true });
    assert.equal(await outcome(connect("erin")), "530", "erin may not use the port 'test'");
    (await connect("erin", { port: plainPort, secure: false })).close();
    assert.equal(await outcome(connect("frank", { port: plainPort, secure: false })), "530", "frank needs TLS");
    (await connect("frank")).close();
  });

  test("a disabled user, a user without password and anonymous are refused alike", async () => {
    await addUser({ name: "gina", home: "gina", enabled: false });
    await stack.users.put({ name: "hank", home: "hank" });
    for (const user of ["gina", "hank", "anonymous"]) assert.equal(await outcome(connect(user)), "530", user);
  });
});

describe("rate limits, quotas and a shared root", () => {
  test("quotas: an upload past the user's bytes or file count gets 552 and leaves nothing", async () => {
    await addUser({ name: "quinn", home: "quinn", quota: { bytes: 10_000, files: 2 } });
    const client = await connect("quinn");
    const upload = (path: string, size: number) => outcome(client.uploadFrom(Readable.from([Buffer.alloc(size, 3)]), path));
    try {
      const seen = {
        "STOR a.bin 6000": await upload("a.bin", 6_000),
        "STOR b.bin 6000 (4000 left)": await upload("b.bin", 6_000),
        "STOR b.bin 3000": await upload("b.bin", 3_000),
        "STOR c.bin 1 (two files already)": await upload("c.bin", 1),
      };
      assert.deepEqual(seen, { "STOR a.bin 6000": "ok", "STOR b.bin 6000 (4000 left)": "552", "STOR b.bin 3000": "ok", "STOR c.bin 1 (two files already)": "552" });
    } finally {
      client.close();
    }
    assert.deepEqual((await readdir(files("quinn"))).sort(), ["a.bin", "b.bin"]);
    assert.equal((await readFile(files("quinn", "b.bin"))).length, 3_000);
  });

  test("upload and download limits hold a transfer to the user's rate", async () => {
    await addUser({ name: "ivan", home: "ivan", uploadBytesPerSecond: 512 * 1024, downloadBytesPerSecond: 512 * 1024 });
    const payload = Buffer.alloc(1024 * 1024, 7);
    const client = await connect("ivan");
    try {
      let started = performance.now();
      await client.uploadFrom(Readable.from([payload]), "limited.bin");
      const uploadMs = performance.now() - started;
      started = performance.now();
      const back = await read(client, "limited.bin");
      const downloadMs = performance.now() - started;
      assert.equal(back.length, payload.length);
      // 1 MiB at 512 KiB/s takes two seconds, less at most one second of catch-up; unlimited it takes milliseconds.
      assert.ok(uploadMs >= 900, `upload took ${Math.round(uploadMs)} ms`);
      assert.ok(downloadMs >= 900, `download took ${Math.round(downloadMs)} ms`);
    } finally {
      client.close();
    }
  });

  test("a port without user directories puts everyone in its default root", async () => {
    await mkdir(files("shared"), { recursive: true });
    const port = await startPort("shared-root", { userDirectory: false, defaultRoot: "shared" });
    const client = await connect(USER, { port });
    try {
      await client.uploadFrom(Readable.from([Buffer.from("shared")]), "common.txt");
    } finally {
      client.close();
    }
    assert.equal(await readFile(files("shared", "common.txt"), "utf8"), "shared");
  });

  test("a user's session limit holds across listeners: one more login gets 421, and a place comes back when a session ends", async () => {
    await addUser({ name: "carol", home: "carol", maxSessions: 1 });
    // A second listener: its own port and its own count, sharing the wharf_sessions bucket with the first.
    const secondListener = createSessionLimits(await openSessionCounts(stack.nc), { holderId: "second-listener", log: stack.shared.log });
    const settings: PortSettings = { ...stack.settings, alias: "second-listener", port: 0 };
    const second = await startFtpServer(settings, { ...stack.shared, sessionLimits: secondListener, settings, tls: loadPortTls(settings) });
    servers.push(second);
    const loginOn = async (port: number) => {
      const control = await RawFtpControl.connect(port);
      await control.read();
      await control.startTls();
      await control.command("USER carol");
      return { control, reply: await control.command(`PASS ${PASSWORD}`) };
    };
    const first = await loginOn(stack.port);
    assert.equal(first.reply.code, 230);
    const refused = await loginOn(second.port);
    assert.equal(refused.reply.code, 421);
    assert.match(refused.reply.text, /Too many sessions for this user/);
    await refused.control.closed();
    assert.equal((await first.control.command("QUIT")).code, 221);
    await first.control.closed();
    // The first listener writes its release when the session has closed; the second sees it on its next claim.
    const again = await waitFor(async () => {
      const attempt = await loginOn(second.port);
      if (attempt.reply.code === 230) return attempt;
      attempt.control.close();
      return undefined;
    }, { what: "carol's place to come back" });
    again.control.close();
    await secondListener.stop();
  });
});
