import assert from "node:assert/strict";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import type { Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { dataTls, RawFtpControl } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER, openDataSocket } from "./harness.js";

const loggedIn = async (stack: ListenerStack) => {
  const control = await RawFtpControl.connect(stack.port);
  await control.read();
  await control.login(USER, PASSWORD);
  return control;
};

const openData = openDataSocket;

/** Connects data TLS and collects the sessions (tickets) the server hands out on it. */
async function tlsWithTickets(raw: Socket, control: RawFtpControl, options: { fresh?: boolean; session?: Buffer }) {
  const tickets: Buffer[] = [];
  let secure: TLSSocket;
  if (options.session) {
    secure = tlsConnect({ socket: raw, rejectUnauthorized: false, session: options.session });
    secure.on("error", () => undefined);
    await once(secure, "secureConnect");
  } else {
    secure = await dataTls(raw, control, { fresh: options.fresh ?? false });
  }
  secure.on("session", (ticket: Buffer) => tickets.push(ticket));
  return { secure, tickets };
}

const tlsMetric = async (stack: ListenerStack, resumed: string, outcome: string) =>
  (await stack.registry.getSingleMetric("wharf_ftp_data_tls_total")?.get())?.values.find(
    (value) => value.labels.resumed === resumed && value.labels.outcome === outcome,
  )?.value ?? 0;

describe("session reuse required (the default)", () => {
  let stack: ListenerStack;
  before(async () => {
    stack = await startListenerStack();
  });
  after(() => stack.stop());

  test("a data connection that resumes the control session is accepted", async () => {
    const control = await loggedIn(stack);
    const raw = await openData(control);
    control.send("LIST\r\n");
    assert.equal((await control.read()).code, 150);
    const { secure } = await tlsWithTickets(raw, control, {});
    assert.equal(secure.isSessionReused(), true);
    secure.resume();
    await once(secure, "end");
    assert.equal((await control.read()).code, 226);
    control.close();
  });

  test("a data connection with a fresh TLS session gets 522 after 150, nothing is stored, no ticket is handed out, the session goes on", async () => {
    const refusedBefore = await tlsMetric(stack, "false", "refused");
    const control = await loggedIn(stack);
    const raw = await openData(control);
    control.send("STOR /hijacked.bin\r\n");
    assert.equal((await control.read()).code, 150);
    const { secure, tickets } = await tlsWithTickets(raw, control, { fresh: true });
    assert.equal(secure.isSessionReused(), false);
    secure.write(Buffer.alloc(10_000, 1));
    assert.equal((await control.read()).code, 522);
    await once(secure, "close");
    assert.deepEqual(tickets, [], "no ticket that would let the next data connection look resumed");
    await assert.rejects(readFile(join(stack.dataDir, "storage/files", USER, "hijacked.bin")), { code: "ENOENT" });
    assert.equal(await tlsMetric(stack, "false", "refused"), refusedBefore + 1);
    // The control session is unharmed, and a proper data connection works again.
    assert.equal((await control.command("NOOP")).code, 200);
    const again = await openData(control);
    control.send("LIST\r\n");
    assert.equal((await control.read()).code, 150);
    const { secure: good } = await tlsWithTickets(again, control, {});
    good.resume();
    await once(good, "end");
    assert.equal((await control.read()).code, 226);
    control.close();
  });

  test("a TLS session from another FTP session does not resume here (522)", async () => {
    const victim = await loggedIn(stack);
    const attacker = await loggedIn(stack);
    assert.ok(attacker.tlsSession, "the attacker holds a valid ticket of its own session");
    const raw = await openData(victim);
    victim.send("LIST\r\n");
    assert.equal((await victim.read()).code, 150);
    const { secure } = await tlsWithTickets(raw, victim, { session: attacker.tlsSession });
    assert.equal(secure.isSessionReused(), false);
    assert.equal((await victim.read()).code, 522);
    victim.close();
    attacker.close();
  });
});

describe("session reuse relaxed on a port", () => {
  let stack: ListenerStack;
  before(async () => {
    stack = await startListenerStack({ requireTlsSessionReuse: false });
  });
  after(() => stack.stop());

  test("a fresh data TLS session is accepted, and counted", async () => {
    const control = await loggedIn(stack);
    const raw = await openData(control);
    control.send("LIST\r\n");
    assert.equal((await control.read()).code, 150);
    const { secure } = await tlsWithTickets(raw, control, { fresh: true });
    secure.resume();
    await once(secure, "end");
    assert.equal((await control.read()).code, 226);
    assert.equal(await tlsMetric(stack, "false", "accepted"), 1);
    control.close();
  });
});
