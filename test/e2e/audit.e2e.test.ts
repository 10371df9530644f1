/**
 * Admin actions audited: each change the `wharf` CLI makes to the
 * configuration is a config.changed event on the event stream (who, what,
 * when, the digests of the value before and after, never the value), shown by
 * `wharf audit ls`. The CLI runs as an operator runs it, against a real
 * nats-server with JetStream.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DiscardPolicy, jetstreamManager } from "@nats-io/jetstream";
import { connectBus, type NatsConnection, openBucket } from "@wharf/bus";
import { buckets, ConfigChangedEvent, streams, subjects } from "@wharf/contracts";
import { createLogger } from "@wharf/telemetry";
import { getFreePort, startNatsServer, streamMessages, type TestNatsServer } from "@wharf/testing";

const cli = fileURLToPath(new URL("../../../packages/cli/dist/src/main.js", import.meta.url));
let nats: TestNatsServer;
let nc: NatsConnection;
let dir: string;

before(async () => {
  nats = await startNatsServer();
  nc = await connectBus({ url: nats.url, name: "audit-test" }, createLogger({ service: "audit-test", level: "silent" }));
  dir = await mkdtemp(join(tmpdir(), "wharf-audit-"));
});
after(async () => {
  await nc.close();
  await nats.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `wharf …` as the administrator `admin`, with `input` on its standard input: exit code and output. */
function wharf(admin: string, args: string[], input = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Cheap argon2id for the test; the cost parameters are the operator's to set.
    const env = { ...process.env, WHARF_NATS_URL: nats.url, WHARF_ADMIN_NAME: admin, WHARF_ARGON2_MEMORY_KIB: "8192", WHARF_ARGON2_PASSES: "1" };
    const child = execFile(process.execPath, [cli, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

const ok = async (result: Promise<{ code: number; stdout: string; stderr: string }>) => {
  const { code, stdout, stderr } = await result;
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  return stdout;
};
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const configEvents = async () => (await streamMessages(nc, streams.audit.name, subjects.configChanged)).map(({ body }) => ConfigChangedEvent.parse(body));

test("every change made with the CLI is an event with who, what and the digests of the stored bytes, and wharf audit ls shows it", async () => {
  await ok(wharf("alice", ["users", "add", "acme", "--password-stdin"], "s3cret-password\n"));
  await ok(wharf("bob", ["users", "set", "acme", "--disable"]));
  const file = join(dir, "wharf.yaml");
  const closed = await getFreePort();
  await writeFile(
    file,
    [
      "ports:",
      "  - alias: partners",
      `    port: ${await getFreePort()}`,
      "    tlsMode: none",
      "endpoints:",
      "  - name: partner",
      "    host: 127.0.0.1",
      `    port: ${closed}`,
      "    tls: none",
      "    user: wharf",
      "",
    ].join("\n"),
  );
  await ok(wharf("alice", ["apply", "-f", file]));
  // A ban as the brute-force defender writes it (not an admin action), lifted by an admin.
  const bans = await openBucket(nc, buckets.bans);
  await bans.put("203.0.113.9", JSON.stringify({ address: "203.0.113.9", failures: 5, windowStart: Date.now(), bans: 1, bannedUntil: Date.now() + 60_000 }));
  await ok(wharf("carol", ["bans", "rm", "203.0.113.9"]));
  await ok(wharf("alice", ["users", "rm", "acme"]));

  const events = await configEvents();
  assert.deepEqual(
    events.map((event) => [event.actor.name, event.command, event.bucket, event.key, event.operation]),
    [
      ["alice", "users add", "wharf_users", "acme", "create"],
      ["bob", "users set", "wharf_users", "acme", "update"],
      ["alice", "apply", "wharf_ports", "partners", "create"],
      ["alice", "apply", "wharf_endpoints", "partner", "create"],
      ["carol", "bans rm", "wharf_bans", "203.0.113.9", "delete"],
      ["alice", "users rm", "wharf_users", "acme", "delete"],
    ],
  );
  const [added, set, port, endpoint, unbanned, removed] = events as [ConfigChangedEvent, ConfigChangedEvent, ConfigChangedEvent, ConfigChangedEvent, ConfigChangedEvent, ConfigChangedEvent];
  for (const event of events) {
    assert.equal(event.actor.host.length > 0, true);
    assert.equal(event.actor.identity, "");
    assert.ok(Math.abs(Date.parse(event.at) - Date.now()) < 120_000, event.at);
  }
  // Each chain links up: a change's old digest is the new digest of the one before.
  assert.equal(added.oldDigest, undefined);
  assert.equal(set.oldDigest, added.newDigest);
  assert.equal(removed.oldDigest, set.newDigest);
  assert.equal(removed.newDigest, undefined);
  assert.equal(unbanned.newDigest, undefined);

  // The digests are SHA-256 of the bytes stored at the event's revision.
  const users = await openBucket(nc, buckets.users);
  const stored = async (kv: typeof users, event: ConfigChangedEvent) => (await kv.get(event.key, { revision: event.revision ?? assert.fail(`no revision: ${JSON.stringify(event)}`) })) ?? assert.fail("no entry");
  const addedEntry = await stored(users, added);
  assert.equal(added.newDigest, sha256(addedEntry.value));
  assert.equal(set.newDigest, sha256((await stored(users, set)).value));
  assert.equal((await stored(users, removed)).operation, "DEL");
  assert.equal(port.newDigest, sha256((await stored(await openBucket(nc, buckets.ports), port)).value));
  assert.equal(endpoint.newDigest, sha256((await stored(await openBucket(nc, buckets.endpoints), endpoint)).value));
  assert.equal((await stored(bans, unbanned)).operation, "DEL");

  // No event holds the password or its hash: the raw messages, as stored.
  const passwordHash = (addedEntry.json() as { passwordHash: string }).passwordHash;
  assert.match(passwordHash, /^\$argon2id\$/);
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(streams.audit.name);
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const raw = (await jsm.streams.getMessage(streams.audit.name, { seq }))?.string() ?? "";
    assert.doesNotMatch(raw, /s3cret-password|argon2id/, raw);
    assert.equal(raw.includes(passwordHash.split("$").at(-1) as string), false, raw);
  }

  const short = (digest: string | undefined) => (digest ? digest.slice(0, 12) : "-");
  const listed = (await ok(wharf("alice", ["audit", "ls"]))).trim().split("\n");
  assert.equal(listed[0], "TIME\tACTOR\tCOMMAND\tBUCKET/KEY\tOPERATION\tDIGEST (OLD→NEW)");
  assert.deepEqual(
    listed.slice(1).map((line) => line.split("\t").slice(2)),
    [
      ["users add", "wharf_users/acme", "create", `-→${short(added.newDigest)}`],
      ["users set", "wharf_users/acme", "update", `${short(set.oldDigest)}→${short(set.newDigest)}`],
      ["apply", "wharf_ports/partners", "create", `-→${short(port.newDigest)}`],
      ["apply", "wharf_endpoints/partner", "create", `-→${short(endpoint.newDigest)}`],
      ["bans rm", "wharf_bans/203.0.113.9", "delete", `${short(unbanned.oldDigest)}→-`],
      ["users rm", "wharf_users/acme", "delete", `${short(removed.oldDigest)}→-`],
    ],
  );
  assert.deepEqual(
    listed.slice(1).map((line) => line.split("\t").slice(0, 2)),
    events.map((event) => [event.at, `${event.actor.name}@${event.actor.host}`]),
  );

  // Filters: by bucket (with or without wharf_), by actor, by time, and the newest N.
  const rows = async (...args: string[]) => (await ok(wharf("alice", ["audit", "ls", ...args]))).trim().split("\n").slice(1);
  assert.deepEqual((await rows("--bucket", "users")).map((line) => line.split("\t")[2]), ["users add", "users set", "users rm"]);
  assert.deepEqual((await rows("--bucket", "wharf_bans")).map((line) => line.split("\t")[3]), ["wharf_bans/203.0.113.9"]);
  assert.deepEqual((await rows("--actor", "bob")).map((line) => line.split("\t")[2]), ["users set"]);
  assert.equal((await rows("--since", "1h")).length, 6);
  assert.deepEqual(await rows("--since", "2099-01-01"), []);
  const limited = await wharf("alice", ["audit", "ls", "--limit", "2"]);
  assert.deepEqual(limited.stdout.trim().split("\n").slice(1).map((line) => line.split("\t")[2]), ["bans rm", "users rm"]);
  assert.match(limited.stderr, /4 earlier ones not shown \(--limit\)/);

  // A file applied again changes nothing, so it records nothing.
  await ok(wharf("alice", ["apply", "-f", file]));
  assert.equal((await configEvents()).length, 6);
});

test("a change whose audit event the stream refuses is reported as failed, not as done", async () => {
  const jsm = await jetstreamManager(nc);
  const { config, state } = await jsm.streams.info(streams.audit.name);
  // A full stream that discards new messages refuses every publish, as a stream out of space would.
  await jsm.streams.update(streams.audit.name, { ...config, discard: DiscardPolicy.New, max_msgs: Math.max(state.messages, 1) });
  try {
    const result = await wharf("alice", ["users", "add", "globex", "--password-stdin"], "another-password\n");
    assert.equal(result.code, 1);
    assert.doesNotMatch(result.stdout, /added/);
    assert.match(result.stderr, /^wharf users: wharf_users globex was created \(revision \d+\), but its audit event could not be published \(.+\): the change stands without an audit record/m);
    assert.doesNotMatch(result.stderr, /^\s+at /m, "a message, not a stack trace");
  } finally {
    await jsm.streams.update(streams.audit.name, config);
  }
  assert.equal((await configEvents()).some((event) => event.key === "globex"), false);
});

test("wharf audit refuses bad flags with a message and exit code 2", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["audit"], /wharf audit: ls\?/],
    [["audit", "show"], /unknown subcommand "show"/],
    [["audit", "ls", "--since", "yesterday"], /--since yesterday: not a time/],
    [["audit", "ls", "--limit", "0"], /--limit 0: a whole number from 1/],
    [["audit", "ls", "--bucket"], /--bucket needs a value/],
    [["audit", "ls", "--actor", "--limit", "3"], /--actor needs a value/],
    [["audit", "ls", "--user", "acme"], /unexpected "--user"/],
  ];
  for (const [args, message] of cases) {
    const result = await wharf("alice", args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, message, args.join(" "));
    assert.match(result.stderr, /usage: wharf audit ls/);
  }
});
