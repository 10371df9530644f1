/**
 * PROTOCOL §5 T34: failed logins over new connections from one address get
 * it banned; its next connections are closed at once, other addresses are
 * unaffected, and `wharf bans` shows and lifts the ban.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { RawFtpControl, waitFor } from "@wharf/testing";
import { watchBans } from "../src/ban-watch.js";
import { startFtpServer } from "../src/ftp-server.js";
import { loadPortTls } from "../src/tls-contexts.js";
import { type ListenerStack, logIn, PASSWORD, startListenerStack, USER } from "./harness.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../../../packages/cli/dist/src/main.js", import.meta.url));
let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack({}, { defender: { threshold: 3, windowMs: 60_000, banMs: 60_000, maxBanMs: 60_000 } });
});
after(() => stack.stop());

const wharf = (...args: string[]) => run(process.execPath, [cli, ...args], { env: { ...process.env, WHARF_NATS_URL: stack.natsUrl } });

/** Whether a new connection from `localAddress` gets the greeting (true) or is closed at once (false). */
async function greeted(localAddress: string, port = stack.port): Promise<boolean> {
  const control = await RawFtpControl.connect(port, { localAddress });
  const reply = await control.read().catch(() => undefined);
  control.close();
  return reply?.code === 220;
}

test("T34: three failed logins ban 127.0.0.1 at connect; 127.0.0.3 is unaffected; wharf bans ls|rm show and lift it", async () => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const control = await RawFtpControl.connect(stack.port);
    assert.equal((await control.read()).code, 220);
    await control.startTls();
    assert.equal((await control.command(`USER ${USER}`)).code, 331);
    assert.equal((await control.command("PASS wrong-password")).code, 530);
    control.close();
  }
  // The ban reaches the listener through its watch on the bans bucket.
  await waitFor(async () => ((await greeted("127.0.0.1")) ? undefined : true), { what: "127.0.0.1 to be refused at connect" });
  assert.equal(await greeted("127.0.0.3"), true);
  const other = await RawFtpControl.connect(stack.port, { localAddress: "127.0.0.3" });
  await other.read();
  await other.login(USER, PASSWORD);
  other.close();

  const listed = await wharf("bans", "ls");
  const line = listed.stdout.split("\n").find((row) => row.startsWith("127.0.0.1\t"));
  assert.ok(line, listed.stdout);
  assert.match(line, /^127\.0\.0\.1\t\d{4}-\d\d-\d\dT[^\t]+\t1\t0$/);
  assert.match(await stack.registry.getSingleMetricAsString("wharf_ftp_sessions_refused_total"), /reason="banned"[^\n]* [1-9]/);

  assert.match((await wharf("bans", "rm", "127.0.0.1")).stdout, /ban lifted/);
  await waitFor(async () => ((await greeted("127.0.0.1")) ? true : undefined), { what: "127.0.0.1 to be let in again" });
  (await logIn(stack)).close();
  await assert.rejects(wharf("bans", "rm", "127.0.0.1"), (error: { code: number; stderr: string }) => error.code === 1 && /no ban/.test(error.stderr));
});

test("a ban earned on one listener instance holds on another that shares the bus", async () => {
  // A second listener: its own FTP server and its own watch on the bans bucket, on the same NATS.
  const settings = { ...stack.settings, port: 0 };
  const bans = await watchBans(stack.nc);
  const second = await startFtpServer(settings, { ...stack.shared, isBanned: bans.isBanned, settings, tls: loadPortTls(settings) });
  try {
    assert.equal(await greeted("127.0.0.4", second.port), true);
    for (let attempt = 0; attempt < 3; attempt++) {
      const control = await RawFtpControl.connect(stack.port, { localAddress: "127.0.0.4" });
      assert.equal((await control.read()).code, 220);
      await control.startTls();
      assert.equal((await control.command(`USER ${USER}`)).code, 331);
      assert.equal((await control.command("PASS wrong-password")).code, 530);
      control.close();
    }
    await waitFor(async () => ((await greeted("127.0.0.4", second.port)) ? undefined : true), { what: "the second listener to refuse 127.0.0.4" });
    assert.equal(await greeted("127.0.0.4"), false, "and the first one too");
    assert.equal(await greeted("127.0.0.5", second.port), true);
  } finally {
    second.stopAccepting();
    await second.closeSessions();
    bans.stop();
  }
});
