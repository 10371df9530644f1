/**
 * Issue 8 in the suite: the scaled-out stack on loopback (3 NATS nodes, two of
 * each service, HAProxy with the PROXY protocol), its cluster-wide limits and
 * bans, and the fault scenario and a rolling restart at a size the suite can
 * afford. `npm run scale` runs the full-size scenario (1,000 files).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { RawFtpControl, waitFor } from "@wharf/testing";
import { describe, verdict } from "./report.js";
import { PARTNER_PASSWORD, PARTNER_PASSWORD_ENV, runScenario } from "./scenario.js";
import { type ScaleStack, startScaleStack } from "./stack.js";

let stack: ScaleStack;
before(async () => {
  stack = await startScaleStack({
    env: { [PARTNER_PASSWORD_ENV]: PARTNER_PASSWORD, WHARF_AUTH_BAN_THRESHOLD: "3", WHARF_FTP_FAILED_LOGIN_DELAY_MS: "50" },
    logLevel: "warn",
    maxSessionsPerIp: 4,
  });
  await stack.addUser({ name: "limited", home: "limited", password: "limited-password", maxSessions: 2 });
  await stack.addUser({ name: "someone", home: "someone", password: "someone-password" });
});
after(() => stack?.stop());

/** A session through HAProxy from `from`; logged in, it says which listener it is on (STAT's local address). */
async function session(from: string, user?: { name: string; password: string }): Promise<{ control: RawFtpControl; greeting: number; listener?: string; login?: number }> {
  const control = await RawFtpControl.connect(stack.ftp.port, { host: stack.ftp.host, localAddress: from });
  const greeting = (await control.read()).code;
  if (greeting !== 220 || !user) return { control, greeting };
  await control.startTls();
  await control.command(`USER ${user.name}`);
  const login = (await control.command(`PASS ${user.password}`)).code;
  if (login !== 230) return { control, greeting, login };
  const listener = /Connected to (\S+),/.exec((await control.command("STAT")).text)?.[1];
  return { control, greeting, login, ...(listener ? { listener } : {}) };
}

const someone = { name: "someone", password: "someone-password" };

test("scale: the per-address limit holds across both listeners behind HAProxy", async () => {
  const held = [];
  for (let index = 0; index < 4; index++) held.push(await session("127.0.2.1", someone));
  try {
    assert.deepEqual(held.map((open) => open.login), [230, 230, 230, 230]);
    // HAProxy spread them (fewest connections first): the limit counted sessions on both listeners together.
    assert.deepEqual([...new Set(held.map((open) => open.listener))].sort(), ["127.0.0.2", "127.0.0.3"]);
    const fifth = await session("127.0.2.1");
    assert.equal(fifth.greeting, 421);
    fifth.control.close();
    const elsewhere = await session("127.0.2.2", someone);
    assert.equal(elsewhere.login, 230, "another address is not held back");
    elsewhere.control.close();
  } finally {
    for (const open of held) open.control.close();
  }
});

test("scale: a user's session limit holds across both listeners", async () => {
  const limited = { name: "limited", password: "limited-password" };
  const first = await session("127.0.2.10", limited);
  const second = await session("127.0.2.11", limited);
  try {
    assert.equal(first.login, 230);
    assert.equal(second.login, 230);
    assert.notEqual(first.listener, second.listener, "one session on each listener");
    const third = await session("127.0.2.12", limited);
    assert.equal(third.login, 421);
    third.control.close();
  } finally {
    first.control.close();
    second.control.close();
  }
});

test("scale: an address banned through one listener is refused by both", async () => {
  const attacker = "127.0.2.50";
  // Three wrong passwords (the threshold) on one connection: auth bans the address in the shared bucket.
  const guesser = await session(attacker);
  await guesser.control.startTls();
  for (let guess = 0; guess < 3; guess++) {
    await guesser.control.command("USER someone");
    await guesser.control.command(`PASS wrong-${guess}`).catch(() => undefined);
  }
  guesser.control.close();
  // Each listener, reached as HAProxy reaches it (a PROXY header naming the attacker): closed without a greeting.
  for (const listener of stack.services.filter((service) => service.kind === "listener")) {
    const host = String(listener.env.WHARF_FTP_HOST);
    const port = Number(listener.env.WHARF_FTP_PORT);
    await waitFor(async () => ((await bytesBeforeClose(host, port, "127.0.0.1", `PROXY TCP4 ${attacker} ${host} 40000 ${port}\r\n`)) === 0 ? true : undefined), {
      what: `${listener.name} to refuse the banned address`,
    });
  }
  assert.equal(await bytesBeforeClose(stack.ftp.host, stack.ftp.port, attacker), 0, "through HAProxy too");
});

/** Connects (sending `first`, if any) and counts what the server says before it closes the connection. */
async function bytesBeforeClose(host: string, port: number, localAddress: string, first?: string): Promise<number> {
  const socket = connect({ host, port, localAddress });
  socket.on("error", () => undefined);
  let received = 0;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.length;
    // A greeting: not refused; no need to wait for a close that would only come at the login timeout.
    socket.destroy();
  });
  await once(socket, "connect");
  if (first) socket.write(first);
  if (!socket.destroyed) await once(socket, "close");
  return received;
}

test("scale: SIGKILL a listener, a storage, an outbound and a NATS node during a load: nothing lost, nothing delivered twice", { timeout: 480_000 }, async (t) => {
  const report = await runScenario(stack, { files: 120, partners: 16, faults: "kill", prefix: "kill", pauseMs: 1_500, deadlineMs: 300_000, say: (line) => t.diagnostic(line) });
  for (const line of describe(report)) t.diagnostic(line);
  assert.deepEqual(verdict(report), []);
  assert.equal(report.faults.length, 4);
  assert.ok(report.listings > 0, "the lister listed while files arrived");
});

test("scale: a rolling restart of every service during a load loses no file and fails no transfer that had begun", { timeout: 480_000 }, async (t) => {
  const report = await runScenario(stack, { files: 120, partners: 16, faults: "rolling", prefix: "rolling", pauseMs: 5_000, deadlineMs: 300_000, say: (line) => t.diagnostic(line) });
  for (const line of describe(report)) t.diagnostic(line);
  assert.deepEqual(verdict(report), []);
  assert.equal(report.faults.length, 8);
  assert.equal(report.failedAfterStart, 0);
});
