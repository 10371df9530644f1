/**
 * Issue 9: the NATS that `npm start` runs is not an open bus. Each service has its own nkey and may touch only
 * its own subjects; the CLI is the admin. A process that holds one service's credentials (a compromised pod)
 * cannot read the users, announce files, answer or overhear logins, or change the configuration.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { nkeys } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { connectBus, type NatsConnection } from "@wharf/bus";
import { buckets, eventTypes, type NatsIdentity, streams, subjects } from "@wharf/contracts";
import { createLogger } from "@wharf/telemetry";
import { streamMessages, waitFor } from "@wharf/testing";
import { connectAsAdmin, type RunningWharf, startWharf, stopWharf, wharfCli } from "./stack.js";

const run = promisify(execFile);
let wharf: RunningWharf;
let admin: NatsConnection;
const opened: NatsConnection[] = [];

before(async () => {
  wharf = await startWharf();
  admin = await connectAsAdmin(wharf, "e2e-admin");
});

after(async () => {
  for (const nc of [admin, ...opened]) await nc?.close().catch(() => undefined);
  await stopWharf(wharf);
});

/** A connection with one service's own credentials, as a process that stole them would make it. */
async function as(identity: NatsIdentity): Promise<NatsConnection> {
  const nc = await connectBus(
    { url: wharf.natsUrl, name: `intruder-as-${identity}`, identity, credentials: { identityDir: join(wharf.dataDir, "nats-identities") } },
    createLogger({ service: "e2e", level: "silent" }),
  );
  opened.push(nc);
  return nc;
}

/** Resolves with the error an operation failed with; fails the test if it succeeded. */
async function refused(what: string, operation: () => Promise<unknown>): Promise<Error> {
  return operation().then(
    () => assert.fail(`${what} was allowed`),
    (error: Error) => error,
  );
}

const permissionDenied = /permission/i;

test("the embedded NATS refuses a client without credentials, and one whose nkey it does not know", async () => {
  const anonymous = await refused("an anonymous connection", () => connect({ servers: wharf.natsUrl, reconnect: false }));
  assert.match(anonymous.message, /authorization/i);
  const stranger = nkeys.createUser().getSeed();
  const unknown = await refused("an unknown nkey", async () => {
    const { nkeyAuthenticator } = await import("@nats-io/nats-core");
    return connect({ servers: wharf.natsUrl, reconnect: false, authenticator: nkeyAuthenticator(stranger) });
  });
  assert.match(unknown.message, /authorization/i);
});

test("with the listener's credentials: no user database, no file.stored, no configuration change, no other inboxes", async () => {
  const nc = await as("listener");
  // The users (password hashes) are auth's.
  const users = await refused("reading wharf_users", async () => (await new Kvm(nc).open(buckets.users)).get("demo"));
  assert.match(users.message, permissionDenied);
  // Only storage announces files: a forged announcement would have outbound push whatever it names.
  const forged = await refused("publishing file.stored", () => jetstream(nc, { timeout: 3_000 }).publish(subjects.fileStored, JSON.stringify({ type: eventTypes.fileStored, path: "/forged" })));
  assert.match(forged.message, permissionDenied);
  // Only the admin changes ports (the listener only reads them).
  const ports = await refused("writing wharf_ports", async () => (await new Kvm(nc).open(buckets.ports)).put("evil", JSON.stringify({ alias: "evil" })));
  assert.match(ports.message, permissionDenied);
  // Reading the event stream, or the stored files' bytes, is not the listener's either.
  const history = await refused("reading the event stream", async () => (await jetstreamManager(nc, { timeout: 3_000 })).streams.getMessage(streams.events.name, { seq: 1 }));
  assert.match(history.message, permissionDenied);
  const objects = await refused("reading the object store", async () => (await jetstreamManager(nc, { timeout: 3_000 })).streams.info(`OBJ_${buckets.objects}`));
  assert.match(objects.message, permissionDenied);
  // Nor can it rewrite a stream it reads: sources would copy the users in, an age limit would wipe the ports.
  const jsm = await jetstreamManager(nc, { timeout: 3_000 });
  const portsStream = (await jsm.streams.info(`KV_${buckets.ports}`)).config;
  const rewritten = await refused("updating the ports' stream", () => jsm.streams.update(`KV_${buckets.ports}`, { ...portsStream, sources: [{ name: `KV_${buckets.users}` }] }));
  assert.match(rewritten.message, permissionDenied);
  const audit = await refused("publishing a configuration change", () => jetstream(nc, { timeout: 3_000 }).publish(subjects.configChanged, "{}", { msgID: "wharf_users:demo:2" }));
  assert.match(audit.message, permissionDenied);
  const stream = await streamMessages(admin, streams.events.name, subjects.fileStored);
  assert.equal(
    stream.filter((message) => (message.body as { path?: string }).path === "/forged").length,
    0,
    "the forged event is not on the stream",
  );
});

test("with any service's credentials but auth's, logins can be neither answered nor overheard; outbound cannot ask for one", async () => {
  const listener = await as("listener");
  const storage = await as("storage");
  const outbound = await as("outbound");
  // A subscription the server refuses ends with a permissions error.
  for (const [who, nc, subject] of [
    ["storage", storage, subjects.authLogin],
    ["listener", listener, subjects.authLogin],
    ["listener", listener, "_INBOX.>"],
    ["outbound", outbound, "_INBOX.auth.>"],
  ] as const) {
    // nats.js ends such a subscription with the server's error as the value of `closed`.
    const ended = await nc.subscribe(subject).closed;
    assert.ok(ended instanceof Error, `${who} subscribing to ${subject} was allowed`);
    assert.match(ended.message, permissionDenied, `${who} subscribing to ${subject}`);
  }
  const asked = await refused("outbound asking auth for a login", () => outbound.request(subjects.authLogin, new Uint8Array(), { timeout: 3_000 }));
  assert.match(asked.message, permissionDenied);
  // Meanwhile a partner still logs in: auth answers the listener, and only it.
  const file = join(wharf.dataDir, "partner.bin");
  await writeFile(file, randomBytes(10_000));
  await run("curl", ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--max-time", "30", "-u", `demo:${wharf.password}`, "-T", file, `ftp://127.0.0.1:${wharf.ftpPort}/partner.bin`]);
});

test("with outbound's credentials: endpoints and pipelines can be read (it delivers by them) but not changed", async () => {
  const nc = await as("outbound");
  const kv = await new Kvm(nc).open(buckets.pipelines);
  await kv.keys().then(async (keys) => {
    for await (const _key of keys);
  });
  const changed = await refused("writing a pipeline", () => kv.put("exfiltrate", JSON.stringify({ name: "exfiltrate" })));
  assert.match(changed.message, permissionDenied);
});

test("the CLI, as admin, works against the same NATS; without the admin seed it is refused, and says what to do", async () => {
  const listed = await wharfCli(wharf, "users", "ls");
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^demo\t/m);
  const withoutIdentity = await wharfCli({ natsUrl: wharf.natsUrl, adminSeedFile: "" }, "users", "ls");
  assert.equal(withoutIdentity.code, 1);
  assert.match(withoutIdentity.stderr, /refused the CLI .*WHARF_NATS_NKEY_FILE/);
  // The server logs each refusal with the connection's name (stopWharf checks that Wharf's own met none).
  await waitFor(() => (wharf.output.some((line) => /Violation/.test(line) && line.includes("intruder-as-")) ? true : undefined), { what: "the server to log the intruders' violations" });
});
