import assert from "node:assert/strict";
import { once } from "node:events";
import { connect as tlsConnect } from "node:tls";
import { after, before, test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { buckets, type PortConfig } from "@wharf/contracts";
import { getFreePort, RawFtpControl, waitFor } from "@wharf/testing";
import { createPortManager, type PortManager, type PortStatus } from "../src/port-manager.js";
import { type PortWatcher, watchPorts } from "../src/port-watcher.js";
import { type ListenerStack, PASSWORD, startListenerStack, USER } from "./harness.js";

let stack: ListenerStack;
let manager: PortManager;
let watcher: PortWatcher;
const statuses = new Map<string, PortStatus>();

before(async () => {
  stack = await startListenerStack();
  manager = createPortManager(stack.shared, (status) => void statuses.set(status.alias, status));
  watcher = await watchPorts(stack.nc, { manager, reservedAlias: "test", log: stack.shared.log });
});
after(async () => {
  await watcher.stop();
  await manager.closeAll();
  await stack.stop();
});

const kv = () => new Kvm(stack.nc).create(buckets.ports);
const portConfig = (alias: string, port: number, extra: Partial<Record<keyof PortConfig, unknown>> = {}) => ({
  alias,
  port,
  bindAddress: "127.0.0.1",
  passive: { ports: "41000-41999" },
  tls: { certFile: stack.certs.serverCertFile, keyFile: stack.certs.serverKeyFile },
  ...extra,
});
const stateOf = (alias: string, state: string) => () => (statuses.get(alias)?.state === state ? true : undefined);

async function greets(port: number, implicit = false): Promise<boolean> {
  try {
    if (implicit) {
      const socket = tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false });
      socket.setEncoding("utf8");
      const [text] = (await Promise.race([once(socket, "data"), once(socket, "error")])) as [string];
      socket.destroy();
      return typeof text === "string" && text.startsWith("220 ");
    }
    const control = await RawFtpControl.connect(port);
    const reply = await control.read(2_000);
    control.close();
    return reply.code === 220;
  } catch {
    return false;
  }
}

test("ports from the bucket open within seconds and close live; sessions on other ports go on", async () => {
  const [a, b] = [await getFreePort(), await getFreePort()];
  const ports = await kv();
  await ports.put("partners-a", JSON.stringify(portConfig("partners-a", a)));
  await ports.put("partners-b", JSON.stringify(portConfig("partners-b", b, { tlsMode: "implicit" })));
  await waitFor(stateOf("partners-a", "listening"), { timeoutMs: 5_000, what: "port a to listen" });
  await waitFor(stateOf("partners-b", "listening"), { timeoutMs: 5_000, what: "port b to listen" });
  assert.equal(await greets(a), true);
  assert.equal(await greets(b, true), true);

  // A session on the built-in port, then port a is disabled: that session is not touched.
  const session = await RawFtpControl.connect(stack.port);
  await session.read();
  await session.login(USER, PASSWORD);
  await ports.put("partners-a", JSON.stringify(portConfig("partners-a", a, { enabled: false })));
  await waitFor(stateOf("partners-a", "stopped"), { timeoutMs: 5_000, what: "port a to stop" });
  assert.equal(await greets(a), false);
  assert.equal((await session.command("NOOP")).code, 200);
  session.close();

  // Removing port b from the bucket stops it too.
  await ports.delete("partners-b");
  await waitFor(stateOf("partners-b", "stopped"), { timeoutMs: 5_000, what: "port b to stop" });
  assert.equal(await greets(b, true), false);
});

test("a port that cannot start, or whose configuration is invalid, is reported and nothing else stops", async () => {
  const ports = await kv();
  await ports.put("clash", JSON.stringify(portConfig("clash", stack.port)));
  await waitFor(stateOf("clash", "failed"), { timeoutMs: 5_000, what: "the clashing port to be reported" });
  assert.match(statuses.get("clash")?.error ?? "", /EADDRINUSE/);
  await ports.put("broken", JSON.stringify({ alias: "broken", port: 70000 }));
  await waitFor(stateOf("broken", "failed"), { timeoutMs: 5_000, what: "the invalid port to be reported" });
  assert.match(statuses.get("broken")?.error ?? "", /port:/);
  await ports.put("test", JSON.stringify(portConfig("test", await getFreePort())));
  await waitFor(stateOf("test", "failed"), { timeoutMs: 5_000, what: "the reserved alias to be refused" });
  assert.equal(await greets(stack.port), true, "the built-in port still answers");
});
