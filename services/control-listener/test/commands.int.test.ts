import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { dataTls, } from "@wharf/testing";
import { type ListenerStack, startListenerStack, USER, logIn, openDataSocket } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack();
});
after(() => stack.stop());

const stored = (path: string) => join(stack.dataDir, "storage/files", USER, path);
const loggedIn = () => logIn(stack);
const dataConnection = openDataSocket;

describe("RNFR / RNTO", () => {
  test("renames, and only when RNTO comes right after RNFR", async () => {
    await writeFile(stored("old.txt"), "content");
    const control = await loggedIn();
    assert.equal((await control.command("RNTO new.txt")).code, 503);
    assert.equal((await control.command("RNFR old.txt")).code, 350);
    assert.equal((await control.command("NOOP")).code, 200);
    assert.equal((await control.command("RNTO new.txt")).code, 503);
    assert.equal((await control.command("RNFR old.txt")).code, 350);
    assert.equal((await control.command("RNTO new.txt")).code, 250);
    assert.equal(await readFile(stored("new.txt"), "utf8"), "content");
    assert.equal((await control.command("RNFR missing.txt")).code, 550);
    assert.equal((await control.command("RNTO whatever.txt")).code, 503);
    control.close();
  });
});

describe("MDTM", () => {
  test("answers the modification time in UTC as YYYYMMDDHHMMSS; 550 for folders and missing files", async () => {
    await writeFile(stored("dated.txt"), "x");
    await utimes(stored("dated.txt"), new Date("2024-02-29T13:14:15Z"), new Date("2024-02-29T13:14:15Z"));
    const control = await loggedIn();
    const reply = await control.command("MDTM dated.txt");
    assert.equal(reply.code, 213);
    assert.equal(reply.text, "213 20240229131415");
    assert.equal((await control.command("MDTM /")).code, 550);
    assert.equal((await control.command("MDTM nope.txt")).code, 550);
    control.close();
  });
});

describe("REST", () => {
  test("markers that are not plain decimal numbers get 501", async () => {
    const control = await loggedIn();
    for (const marker of ["-1", "abc", "1e3", "18446744073709551616", ""]) {
      assert.equal((await control.command(`REST ${marker}`)).code, 501, marker);
    }
    control.close();
  });

  test("REST n + RETR sends the file from byte n; beyond the end is 554, for RETR and STOR alike (no holes)", async () => {
    const bytes = randomBytes(100_000);
    await writeFile(stored("resume.bin"), bytes);
    const control = await loggedIn();
    assert.equal((await control.command("TYPE I")).code, 200);
    const raw = await dataConnection(control);
    assert.equal((await control.command("REST 61440")).code, 350);
    control.send("RETR resume.bin\r\n");
    assert.equal((await control.read()).code, 150);
    const secure = await dataTls(raw, control);
    const chunks: Buffer[] = [];
    secure.on("data", (chunk: Buffer) => chunks.push(chunk));
    await once(secure, "end");
    assert.equal((await control.read()).code, 226);
    assert.ok(Buffer.concat(chunks).equals(bytes.subarray(61440)));
    await control.command("EPSV");
    assert.equal((await control.command("REST 100001")).code, 350);
    assert.equal((await control.command("RETR resume.bin")).code, 554);
    assert.equal((await control.command("REST 100001")).code, 350);
    assert.equal((await control.command("STOR resume.bin")).code, 554);
    assert.ok((await readFile(stored("resume.bin"))).equals(bytes));
    control.close();
  });

  test("REST n + STOR continues from byte n, and APPE adds to the end: the result has no hole and no zero fill", async () => {
    const source = randomBytes(100 * 1024);
    await writeFile(stored("partial.bin"), source.subarray(0, 60 * 1024));
    const control = await loggedIn();
    assert.equal((await control.command("TYPE I")).code, 200);
    const size = Number((await control.command("SIZE partial.bin")).text.split(" ")[1]);
    assert.equal(size, 60 * 1024);
    const upload = async (command: string, bytes: Buffer) => {
      const raw = await dataConnection(control);
      control.send(`${command}\r\n`);
      assert.equal((await control.read()).code, 150);
      const secure = await dataTls(raw, control);
      secure.end(bytes);
      assert.equal((await control.read()).code, 226);
    };
    assert.equal((await control.command(`REST ${size}`)).code, 350);
    await upload("STOR partial.bin", source.subarray(size, 80 * 1024));
    await upload("APPE partial.bin", source.subarray(80 * 1024));
    assert.ok((await readFile(stored("partial.bin"))).equals(source));
    const events = await stack.eventsFor("/partial.bin");
    assert.equal(events.length, 2);
    assert.equal(events[1]?.sha256, createHash("sha256").update(source).digest("hex"));
    control.close();
  });
});

describe("ABOR and STAT during a transfer", () => {
  test("ABOR during a download: 426 then 226, within two seconds", async () => {
    await writeFile(stored("big.bin"), randomBytes(32 * 1024 * 1024));
    const control = await loggedIn();
    const raw = await dataConnection(control);
    control.send("RETR big.bin\r\n");
    assert.equal((await control.read()).code, 150);
    const secure = await dataTls(raw, control);
    secure.pause(); // a slow client: the server is held up by backpressure
    const started = Date.now();
    control.send("STAT\r\n");
    assert.equal((await control.read()).code, 213, "STAT is answered while the transfer runs");
    control.send("ABOR\r\n");
    assert.equal((await control.read()).code, 426);
    assert.equal((await control.read()).code, 226);
    assert.ok(Date.now() - started < 2_000);
    assert.equal((await control.command("NOOP")).code, 200);
    secure.destroy();
    control.close();
  });

  test("ABOR during an upload: 426 then 226, and nothing stored", async () => {
    const control = await loggedIn();
    const raw = await dataConnection(control);
    control.send("STOR aborted.bin\r\n");
    assert.equal((await control.read()).code, 150);
    const secure = await dataTls(raw, control);
    secure.write(randomBytes(1024 * 1024));
    control.send("ABOR\r\n");
    assert.equal((await control.read()).code, 426);
    assert.equal((await control.read()).code, 226);
    await assert.rejects(stat(stored("aborted.bin")), { code: "ENOENT" });
    assert.equal((await stack.eventsFor("/aborted.bin")).length, 0);
    control.close();
  });

  test("ABOR with no transfer running is 226", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("ABOR")).code, 226);
    assert.equal((await control.command("STAT")).code, 211);
    control.close();
  });
});

describe("MLSD / MLST (RFC 3659)", () => {
  test("MLST gives one entry's facts on the control connection; MLSD a folder's over data; MLSD on a file is 501", async () => {
    await writeFile(stored("facts.txt"), "12345");
    await utimes(stored("facts.txt"), new Date("2023-05-06T07:08:09Z"), new Date("2023-05-06T07:08:09Z"));
    const control = await loggedIn();
    const mlst = await control.command("MLST facts.txt");
    assert.equal(mlst.code, 250);
    assert.equal(mlst.text.split("\n")[1], " type=file;size=5;modify=20230506070809;perm=adfrw; /facts.txt");
    assert.equal((await control.command("MLST nope.txt")).code, 550);
    assert.equal((await control.command("MLSD facts.txt")).code, 501);
    const raw = await dataConnection(control);
    control.send("MLSD /\r\n");
    assert.equal((await control.read()).code, 150);
    const secure = await dataTls(raw, control);
    let listing = "";
    secure.on("data", (chunk: Buffer) => {
      listing += chunk.toString("utf8");
    });
    await once(secure, "end");
    assert.equal((await control.read()).code, 226);
    assert.match(listing, /^type=file;size=5;modify=20230506070809;perm=adfrw; facts\.txt\r$/m);
    control.close();
  });
});

describe("STOU", () => {
  test("stores under a unique name that the 150 reply announces", async () => {
    const control = await loggedIn();
    const raw = await dataConnection(control);
    control.send("STOU\r\n");
    const preliminary = await control.read();
    assert.equal(preliminary.code, 150);
    const name = /FILE: (\S+)/.exec(preliminary.text)?.[1];
    assert.ok(name, preliminary.text);
    const secure = await dataTls(raw, control);
    secure.end(Buffer.from("unique content"));
    assert.equal((await control.read()).code, 226);
    assert.equal(await readFile(stored(name), "utf8"), "unique content");
    assert.equal((await stack.eventsFor(`/${name}`)).length, 1);
    control.close();
  });
});

describe("TYPE A", () => {
  test("uploads store CRLF as LF; downloads send LF as CRLF; TYPE I moves bytes as they are", async () => {
    const control = await loggedIn();
    const transfer = async (command: string, upload?: string) => {
      const raw = await dataConnection(control);
      control.send(`${command}\r\n`);
      assert.equal((await control.read()).code, 150);
      const secure = await dataTls(raw, control);
      let received = "";
      secure.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1");
      });
      if (upload !== undefined) secure.end(Buffer.from(upload, "latin1"));
      await once(secure, "close");
      assert.equal((await control.read()).code, 226);
      return received;
    };
    assert.equal((await control.command("TYPE A")).code, 200);
    await transfer("STOR lines.txt", "one\r\ntwo\r\nlone\rcr\r\n");
    assert.equal(await readFile(stored("lines.txt"), "latin1"), "one\ntwo\nlone\rcr\n");
    assert.equal(await transfer("RETR lines.txt"), "one\r\ntwo\r\nlone\rcr\r\n");
    assert.equal((await control.command("TYPE I")).code, 200);
    assert.equal(await transfer("RETR lines.txt"), "one\ntwo\nlone\rcr\n");
    control.close();
  });
});

describe("MFMT, HASH and XSHA256", () => {
  test("MFMT sets the time MDTM then reports; bad times are 501", async () => {
    await writeFile(stored("stamp.txt"), "x");
    const control = await loggedIn();
    const reply = await control.command("MFMT 20200102030405 stamp.txt");
    assert.equal(reply.code, 213);
    assert.equal(reply.text, "213 Modify=20200102030405; stamp.txt");
    assert.equal((await control.command("MDTM stamp.txt")).text, "213 20200102030405");
    assert.equal((await stat(stored("stamp.txt"))).mtime.toISOString(), "2020-01-02T03:04:05.000Z");
    for (const bad of ["20201302030405 stamp.txt", "2020 stamp.txt", "20200102030405", "20200231000000 stamp.txt"]) {
      assert.equal((await control.command(`MFMT ${bad}`)).code, 501, bad);
    }
    assert.equal((await control.command("MFMT 20200102030405 nope.txt")).code, 550);
    control.close();
  });

  test("HASH and XSHA256 answer the SHA-256 of the stored bytes", async () => {
    const bytes = randomBytes(123_456);
    await writeFile(stored("hashed.bin"), bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const control = await loggedIn();
    assert.equal((await control.command("OPTS HASH")).text, "200 SHA-256");
    assert.equal((await control.command("OPTS HASH MD5")).code, 504);
    assert.equal((await control.command("HASH hashed.bin")).text, `213 SHA-256 0-123456 ${sha256} hashed.bin`);
    assert.equal((await control.command("XSHA256 hashed.bin")).text, `213 ${sha256}`);
    assert.equal((await control.command("HASH /")).code, 550);
    assert.equal((await control.command("HASH nope.bin")).code, 550);
    control.close();
  });
});
