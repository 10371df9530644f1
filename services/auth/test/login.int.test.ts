import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectBus, ensureStream, type NatsConnection, request } from "@wharf/bus";
import { auth, LoginEvent, streams, subjects, WharfError } from "@wharf/contracts";
import { createLogger, createMetricsRegistry } from "@wharf/telemetry";
import { startNatsServer, streamMessages, type TestNatsServer, waitFor } from "@wharf/testing";
import { hashPassword } from "../src/password-hash.js";
import { type AuthService, createAuthService } from "../src/service.js";
import { createUserStore } from "../src/user-store.js";
import { createDefender } from "../src/defender.js";

const argon2 = { memoryKiB: 8_192, passes: 1, parallelism: 1 };
const log = createLogger({ service: "auth-test", level: "silent" });
let server: TestNatsServer;
let nc: NatsConnection;
let service: AuthService;
const registry = createMetricsRegistry("auth");

before(async () => {
  server = await startNatsServer();
  nc = await connectBus({ url: server.url, name: "auth-test" }, log);
  await ensureStream(nc, streams.events);
  const store = await createUserStore(nc);
  await store.put({ name: "alice", passwordHash: await hashPassword("right", argon2), enabled: true, home: "alice" });
  await store.put({ name: "carol", passwordHash: await hashPassword("right", argon2), enabled: false, home: "carol" });
  service = await createAuthService({ nc, store, log, registry, argon2 });
});

after(async () => {
  await service.stop();
  await nc.close();
  await server.stop();
});

const login = async (username: string, password: string) => {
  const body = auth.LoginRequest.encode(auth.LoginRequest.fromPartial({ username, password, remoteAddress: "127.0.0.1", sessionId: "t", portAlias: "test" })).finish();
  return auth.LoginResponse.decode(await request(nc, subjects.authLogin, body, { timeoutMs: 5_000 }));
};

const refusal = async (username: string, password: string) => {
  const error = await login(username, password).then(
    () => assert.fail("login should have been refused"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WharfError);
  return { code: error.code, message: error.message };
};

test("login - right password returns the user and its home", async () => {
  const reply = await login("alice", "right");
  assert.equal(reply.ok, true);
  assert.deepEqual(reply.user, { name: "alice", home: "alice", permissions: [], uploadBytesPerSecond: 0, downloadBytesPerSecond: 0, method: "password", quotaBytes: 0, quotaFiles: 0, maxSessions: 0 });
});

test("login - wrong password, unknown user, disabled user and anonymous look the same", async () => {
  const wrong = await refusal("alice", "wrong");
  assert.deepEqual(wrong, { code: "WHARF_AUTH_INVALID_CREDENTIALS", message: "login incorrect" });
  assert.deepEqual(await refusal("nobody", "right"), wrong);
  assert.deepEqual(await refusal("carol", "right"), wrong);
  assert.deepEqual(await refusal("anonymous", ""), wrong);
  assert.deepEqual(await refusal("../etc", "right"), wrong);
});

test("login - counts results by label", async () => {
  const metrics = await registry.getSingleMetricAsString("wharf_auth_logins_total");
  assert.match(metrics, /wharf_auth_logins_total\{method="password",result="ok",service="auth"\} [1-9]/);
  assert.match(metrics, /wharf_auth_logins_total\{method="password",result="refused",service="auth"\} [1-9]/);
  assert.match(await registry.getSingleMetricAsString("wharf_auth_login_duration_seconds"), /_count\{service="auth",result="refused"\} [1-9]/);
});

test("login - a repeated good login is answered from the verified-password cache; a password change ends it", async () => {
  await login("alice", "right");
  await login("alice", "right");
  const metrics = await registry.getSingleMetricAsString("wharf_auth_password_cache_total");
  assert.match(metrics, /result="hit"[^\n]* [1-9]/);
  // A disabled user is never answered from the cache, even with the right password.
  const cached = async () => (await registry.getSingleMetricAsString("wharf_auth_password_cache_total")).match(/ (\d+)$/gm)?.join() ?? "";
  const before = await cached();
  await refusal("carol", "right");
  await refusal("carol", "right");
  assert.equal(await cached(), before);
  const store = await createUserStore(nc);
  await store.put({ name: "alice", passwordHash: await hashPassword("changed", argon2), enabled: true, home: "alice" });
  assert.deepEqual(await refusal("alice", "right"), { code: "WHARF_AUTH_INVALID_CREDENTIALS", message: "login incorrect" });
  assert.equal((await login("alice", "changed")).ok, true);
});

test("login - every answer is an event on the stream: who, from where, and why a refusal", async () => {
  const body = (username: string, password: string, sessionId: string) =>
    auth.LoginRequest.encode(auth.LoginRequest.fromPartial({ username, password, remoteAddress: "192.0.2.7", sessionId, portAlias: "edge" })).finish();
  await request(nc, subjects.authLogin, body("alice", "changed", "ev-ok"), { timeoutMs: 5_000 });
  await request(nc, subjects.authLogin, body("alice", "nope", "ev-bad"), { timeoutMs: 5_000 }).catch(() => undefined);
  await request(nc, subjects.authLogin, body("mallory", "x", "ev-unknown"), { timeoutMs: 5_000 }).catch(() => undefined);
  const events = await waitFor(async () => {
    const all = [
      ...(await streamMessages(nc, streams.events.name, subjects.loginSucceeded)),
      ...(await streamMessages(nc, streams.events.name, subjects.loginFailed)),
    ].map((message) => LoginEvent.parse(message.body));
    const ours = all.filter((event) => event.sessionId.startsWith("ev-"));
    return ours.length === 3 ? ours : undefined;
  }, { what: "three login events" });
  const bySession = new Map(events.map((event) => [event.sessionId, event]));
  assert.equal(bySession.get("ev-ok")?.type, "wharf.evt.v1.login_succeeded");
  assert.equal(bySession.get("ev-ok")?.reason, undefined);
  assert.deepEqual(
    { type: bySession.get("ev-bad")?.type, reason: bySession.get("ev-bad")?.reason, user: bySession.get("ev-bad")?.user },
    { type: "wharf.evt.v1.login_failed", reason: "wrong password", user: "alice" },
  );
  assert.equal(bySession.get("ev-unknown")?.reason, "unknown user");
  assert.equal(bySession.get("ev-unknown")?.remoteAddress, "192.0.2.7");
  assert.equal(bySession.get("ev-unknown")?.portAlias, "edge");
});

test("defender - bans after the threshold within the window, each ban twice as long up to the cap; old failures expire", async () => {
  let clock = 1_000_000;
  const defender = await createDefender(nc, { threshold: 2, windowMs: 1_000, banMs: 100, maxBanMs: 250 }, { now: () => clock });
  const address = "198.51.100.9";
  assert.equal(await defender.recordFailure(address), undefined);
  assert.equal(await defender.recordFailure(address), clock + 100);
  assert.equal(defender.isBanned(address), true);
  clock += 101;
  assert.equal(defender.isBanned(address), false);
  await defender.recordFailure(address);
  assert.equal(await defender.recordFailure(address), clock + 200, "the second ban lasts twice as long");
  await defender.recordFailure(address);
  assert.equal(await defender.recordFailure(address), clock + 250, "capped");
  // A failure, then a long quiet: the window starts again, so one more failure is not a ban.
  await defender.recordFailure(address);
  clock += 1_001;
  assert.equal(await defender.recordFailure(address), undefined);
  assert.equal(defender.isBanned("2001:db8::1"), false, "an IPv6 address is a valid key too");
  await defender.recordFailure("2001:db8::1");
  assert.equal(await defender.recordFailure("2001:db8::1"), clock + 100);
  defender.stop();
});
