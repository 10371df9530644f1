import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { streams, subjects } from "@wharf/contracts";
import { dataTls, getFreePort, passivePort, RawFtpControl, startHaproxy, streamMessages, type TestHaproxy, waitFor } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER } from "./harness.js";

const run = promisify(execFile);
const BALANCER = "127.0.0.1";
const LISTENER = "127.0.0.2";
let stack: ListenerStack;
let haproxy: TestHaproxy;

before(async () => {
  const low = 50_000 + randomInt(150) * 50;
  stack = await startListenerStack({
    host: LISTENER,
    passivePorts: { low, high: low + 19 },
    // Partners are told the balancer's address; the balancer forwards the range to this listener.
    passiveAddress: BALANCER,
    proxyProtocol: { enabled: true, trustedProxies: ["127.0.0.1/32"] },
    maxSessionsPerIp: 2,
  });
  haproxy = await startHaproxy({ host: BALANCER, port: await getFreePort(), listeners: [{ name: "one", host: LISTENER, port: stack.port, passive: { low, high: low + 19 } }] });
});
after(async () => {
  await haproxy?.stop();
  await stack?.stop();
});

/** A partner at `from`, through the balancer, logged in over TLS with PROT P. */
async function partner(from: string): Promise<RawFtpControl> {
  const control = await RawFtpControl.connect(haproxy.port, { host: BALANCER, localAddress: from });
  assert.equal((await control.read()).code, 220);
  await control.login(USER, PASSWORD);
  return control;
}

async function dataFrom(from: string, port: number): Promise<Socket> {
  const socket = connect({ host: BALANCER, port, localAddress: from });
  await once(socket, "connect");
  return socket;
}

test("behind HAProxy the listener sees the partner's address: STAT, the login event and the data connection's peer check", async () => {
  const control = await partner("127.0.0.5");
  try {
    const stat = await control.command("STAT");
    assert.match(stat.text, /from 127\.0\.0\.5/);
    const logins = await streamMessages(stack.nc, streams.events.name, subjects.loginSucceeded);
    assert.equal((logins.at(-1)?.body as { remoteAddress?: string } | undefined)?.remoteAddress, "127.0.0.5");

    // A listing through the balancer: its PROXY header names 127.0.0.5, the control connection's partner.
    await writeFile(join(stack.dataDir, "storage/files", USER, "through-haproxy.txt"), "hello\n");
    const port = passivePort(await control.command("PASV"));
    // Another machine racing for the port through the balancer is dropped; the partner's own connection is served.
    const thief = await dataFrom("127.0.0.6", port);
    await once(thief, "close");
    const raw = await dataFrom("127.0.0.5", port);
    assert.equal((await control.command("NLST")).code, 150);
    const secure = await dataTls(raw, control);
    const listing: Buffer[] = [];
    secure.on("data", (chunk: Buffer) => listing.push(chunk));
    await once(secure, "end");
    assert.equal((await control.read()).code, 226);
    assert.match(Buffer.concat(listing).toString(), /through-haproxy\.txt/);
    assert.equal(await stack.registry.getSingleMetric("wharf_ftp_foreign_data_connections_total")?.get().then((metric) => metric.values[0]?.value), 1);
  } finally {
    control.close();
  }
});

test("the per-address limit counts the partner's address, not the balancer's", async () => {
  const first = await partner("127.0.0.7");
  const second = await partner("127.0.0.7");
  try {
    const third = await RawFtpControl.connect(haproxy.port, { host: BALANCER, localAddress: "127.0.0.7" });
    const refused = await third.read();
    assert.equal(refused.code, 421);
    assert.match(refused.text, /from your address/);
    third.close();
    // Another partner, through the same balancer address, is not held back.
    const other = await partner("127.0.0.8");
    other.close();
  } finally {
    first.close();
    second.close();
  }
});

test("curl uploads through HAProxy with explicit FTPS and passive mode", async () => {
  const body = Buffer.alloc(300_000, 7);
  const source = join(stack.dataDir, "upload.bin");
  await writeFile(source, body);
  await run("curl", ["-sS", "--ssl-reqd", "-k", "--interface", "127.0.0.9", "--ftp-pasv", "-u", `${USER}:${PASSWORD}`, "-T", source, `ftp://${BALANCER}:${haproxy.port}/via-haproxy.bin`]);
  const events = await waitFor(async () => {
    const stored = await stack.eventsFor("/via-haproxy.bin");
    return stored.length > 0 ? stored : undefined;
  });
  assert.equal((events[0] as { size?: number }).size, body.length);
});

test("a connection that does not come from a trusted balancer, or sends no PROXY header, is closed without a byte", async () => {
  const refusedBefore = async (reason: string) =>
    (await stack.registry.getSingleMetric("wharf_ftp_sessions_refused_total")?.get())?.values.find((value) => value.labels.reason === reason)?.value ?? 0;
  const untrusted = await refusedBefore("untrusted_proxy");
  const headerless = await refusedBefore("proxy_header");
  for (const [from, send, reason, before] of [
    ["127.0.0.3", "", "untrusted_proxy", untrusted],
    // From the balancer's own address, but no header: a client that got past the balancer must not pick its address.
    ["127.0.0.1", "PROXY TCP4 198.51.100.1 127.0.0.2 1 21\r\n".replace("PROXY", "PROXZ"), "proxy_header", headerless],
  ] as const) {
    const socket = connect({ host: LISTENER, port: stack.port, localAddress: from });
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", () => undefined);
    await once(socket, "connect");
    if (send) socket.write(send);
    await once(socket, "close");
    assert.equal(Buffer.concat(received).length, 0, `${reason}: no greeting`);
    assert.equal(await refusedBefore(reason), before + 1);
  }
});
