/** Hostile and edge cases of PROTOCOL.md §5 not covered by the other listener tests. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { dataTls, passivePort, RawFtpControl, waitFor } from "@wharf/testing";
import { type ListenerStack, startListenerStack, USER, logIn } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack({ loginTimeoutMs: 1_500, idleTimeoutMs: 1_500, dataTimeoutMs: 1_000, maxSessionsPerIp: 1_000 });
});
after(() => stack.stop());

const loggedIn = () => logIn(stack);

describe("timeouts", () => {
  test("T39: the login timeout is absolute: a byte now and then does not keep a session that never logs in", async () => {
    const control = await RawFtpControl.connect(stack.port);
    assert.equal((await control.read()).code, 220);
    const started = Date.now();
    const drip = setInterval(() => control.send("N"), 300);
    try {
      assert.equal((await control.read(5_000)).code, 421);
      await control.closed();
      assert.ok(Date.now() - started < 4_000);
    } finally {
      clearInterval(drip);
    }
  });

  test("T40: a logged-in session that stays idle gets 421 and is closed", async () => {
    const control = await loggedIn();
    assert.equal((await control.read(5_000)).code, 421);
    await control.closed();
  });

  test("T29: PASV and never connect: 425 after the accept timeout; the session goes on", async () => {
    const control = await loggedIn();
    await control.command("PASV");
    assert.equal((await control.command("LIST")).code, 425);
    assert.equal((await control.command("NOOP")).code, 200);
    control.close();
  });
});

describe("names", () => {
  test("T52: over-long names are refused with 553; a deep path into missing folders makes no partial folders", async () => {
    const control = await loggedIn();
    assert.equal((await control.command(`MKD ${"n".repeat(256)}`)).code, 553);
    assert.equal((await control.command(`MKD ${"n".repeat(255)}`)).code, 257);
    assert.ok([550, 553].includes((await control.command(`MKD ${"d/".repeat(1_500)}x`)).code));
    await assert.rejects(stat(join(stack.dataDir, "storage/files", USER, "d")), { code: "ENOENT" });
    // A path longer than the command line cap never reaches storage: 500.
    assert.equal((await control.command(`MKD ${"p".repeat(5_000)}`)).code, 500);
    control.close();
  });

  test("T48: a NUL in a name is refused, without a crash and without a server path in the reply", async () => {
    const control = await loggedIn();
    for (const line of ["RETR a\u0000b", "MKD a\u0000", "SIZE x\u0000y"]) {
      const reply = await control.command(line);
      assert.ok(reply.code >= 500 && reply.code < 600, `${JSON.stringify(line)}: ${reply.text}`);
      assert.ok(!reply.text.includes(stack.dataDir));
    }
    assert.equal((await control.command("NOOP")).code, 200);
    control.close();
  });

  test("SITE CHMOD is answered as not available (502), never a false success", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("SITE CHMOD 644 x")).code, 502);
    assert.equal((await control.command("SITE EXEC rm")).code, 500);
    control.close();
  });
});

describe("load", () => {
  test("T54: a folder of 100,000 entries is listed whole, streamed, while the control connection answers", async () => {
    const folder = join(stack.dataDir, "storage/files", USER, "huge");
    await mkdir(folder);
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => writeFile(join(folder, `f${batch}-${i}`), "")));
    }
    const control = await loggedIn();
    const port = passivePort(await control.command("EPSV"));
    const raw = connect({ port, host: "127.0.0.1" });
    await once(raw, "connect");
    control.send("NLST huge\r\n");
    assert.equal((await control.read()).code, 150);
    const secure = await dataTls(raw, control);
    let lines = 0;
    let partial = "";
    secure.setEncoding("utf8");
    secure.on("data", (text: string) => {
      const parts = (partial + text).split("\r\n");
      partial = parts.pop() ?? "";
      lines += parts.length;
    });
    await once(secure, "end");
    assert.equal((await control.read(30_000)).code, 226);
    assert.equal(lines, 100_000);
    control.close();
  });

  test("T41: 300 connections from one address that never read: NOOP on another still answers quickly", async () => {
    const idle = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const socket = connect({ port: stack.port, host: "127.0.0.1", localAddress: "127.0.0.2" });
        socket.on("error", () => undefined);
        socket.pause();
        await once(socket, "connect");
        return socket;
      }),
    );
    try {
      await waitFor(() => (stack.ftp.sessions.size >= 300 ? true : undefined), { what: "the 300 idle connections to be sessions" });
      const control = await RawFtpControl.connect(stack.port);
      assert.equal((await control.read()).code, 220);
      const started = Date.now();
      assert.equal((await control.command("NOOP")).code, 200);
      assert.ok(Date.now() - started < 1_000);
      control.close();
    } finally {
      for (const socket of idle) socket.destroy();
    }
  });
});

describe("odd but legal commands", () => {
  test("MODE S, STRU F and ALLO are accepted; other modes 504; REIN, CCC, ACCT are 502 and the control stays encrypted", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("MODE S")).code, 200);
    assert.equal((await control.command("MODE B")).code, 504);
    assert.equal((await control.command("STRU F")).code, 200);
    assert.equal((await control.command("STRU R")).code, 504);
    assert.equal((await control.command("ALLO 1000")).code, 202);
    for (const verb of ["REIN", "CCC", "ACCT x"]) assert.equal((await control.command(verb)).code, 502, verb);
    assert.equal((await control.command("NOOP")).code, 200, "still talking TLS after CCC");
    control.close();
  });
});
