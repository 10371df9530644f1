import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { RawFtpControl, waitFor } from "@wharf/testing";
import { type ListenerStack, startListenerStack, logIn } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack({ maxSessionsPerIp: 3 });
});
after(() => stack.stop());

const loggedIn = () => logIn(stack);

describe("active mode (PORT/EPRT) is not offered: no bounce", () => {
  test("PORT and EPRT to a third address are refused and nothing connects there", async () => {
    const bait = createServer();
    let connections = 0;
    bait.on("connection", (socket) => {
      connections++;
      socket.destroy();
    });
    bait.listen(0, "127.0.0.2");
    await once(bait, "listening");
    const port = (bait.address() as { port: number }).port;
    const control = await loggedIn();
    try {
      assert.equal((await control.command(`PORT 127,0,0,2,${port >> 8},${port & 255}`)).code, 502);
      assert.equal((await control.command(`EPRT |1|127.0.0.2|${port}|`)).code, 502);
      control.send("LIST\r\n");
      assert.ok([425, 521].includes((await control.read()).code));
      assert.equal(connections, 0);
    } finally {
      control.close();
      bait.close();
    }
  });

  test("syntax first: bad PORT/EPRT arguments are 501, an unknown family 522", async () => {
    const control = await loggedIn();
    assert.deepEqual(await control.codes("PORT 1,2,3", "PORT 127,0,0,1,0,25,9", "EPRT |3|127.0.0.2|5282|", "EPRT ||||", "EPRT |1|127.0.0.2|65536|"), [
      "PORT 1,2,3 -> 501",
      "PORT 127,0,0,1,0,25,9 -> 501",
      "EPRT |3|127.0.0.2|5282| -> 522",
      "EPRT |||| -> 501",
      "EPRT |1|127.0.0.2|65536| -> 501",
    ]);
    control.close();
  });

  test("EPSV ALL: afterwards PASV, PORT and EPRT are refused; EPSV 2 on IPv4 is 522", async () => {
    const control = await loggedIn();
    assert.deepEqual(await control.codes("EPSV 2", "EPSV ALL", "PASV", "PORT 127,0,0,1,200,1", "EPRT |1|127.0.0.1|51201|", "EPSV"), [
      "EPSV 2 -> 522",
      "EPSV ALL -> 200",
      "PASV -> 501",
      "PORT 127,0,0,1,200,1 -> 501",
      "EPRT |1|127.0.0.1|51201| -> 501",
      "EPSV -> 229",
    ]);
    control.close();
  });
});

describe("session limits", () => {
  test("one more session than the per-address limit gets 421 and is closed; the others keep working", async () => {
    // Sessions of the tests above may still be closing on the server side.
    await waitFor(() => (stack.ftp.sessions.size === 0 ? true : undefined), { what: "earlier sessions to close" });
    const open = [await loggedIn(), await loggedIn(), await loggedIn()];
    const extra = await RawFtpControl.connect(stack.port);
    assert.equal((await extra.read()).code, 421);
    await extra.closed();
    for (const control of open) assert.equal((await control.command("NOOP")).code, 200);
    open[0]?.close();
    await open[0]?.closed();
    // The freed place is free again (the server may see the close a moment later).
    let again: RawFtpControl | undefined;
    for (let attempt = 0; attempt < 50 && !again; attempt++) {
      const candidate = await RawFtpControl.connect(stack.port);
      if ((await candidate.read()).code === 220) again = candidate;
      else await candidate.closed();
    }
    assert.ok(again, "a new session is accepted once one was closed");
    again.close();
    for (const control of open) control.close();
    const metrics = await stack.registry.getSingleMetricAsString("wharf_ftp_sessions_refused_total");
    assert.match(metrics, /reason="per_ip"[^\n]* [1-9]/);
  });
});
