/**
 * Secrets at rest (issue 9): an endpoint's password and client key given as
 * values are sealed by `wharf apply -f` (the CLI, run as a process), never
 * held in the clear by the bucket or the nats-server's files, opened by
 * outbound with its keyring to log in to a real vsftpd, and moved from one
 * key to the next by `wharf secrets rotate`. Real nats-server, storage and
 * vsftpd, from the testbed.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Kvm } from "@nats-io/kv";
import { buckets, EndpointConfig, streams, subjects } from "@wharf/contracts";
import { type Keyring, keyId, loadKeyring } from "@wharf/secrets";
import { createLogger, createMetricsRegistry } from "@wharf/telemetry";
import { startVsftpdPartner, streamMessages, uploadHeader, type VsftpdPartner, waitFor } from "@wharf/testing";
import { openSession, PushError } from "../src/ftp-push.js";
import { type OutboundService, startOutboundService } from "../src/service.js";
import { startTestbed, type Testbed } from "./testbed.js";

const run = promisify(execFile);
const log = createLogger({ service: "sealed-test", level: process.env.WHARF_TEST_LOG_LEVEL ?? "silent" });
const cli = fileURLToPath(new URL("../../../../packages/cli/dist/src/main.js", import.meta.url));

const keyA = randomBytes(32).toString("base64");
const keyB = randomBytes(32).toString("base64");
const kidA = keyId(Buffer.from(keyA, "base64"));
const kidB = keyId(Buffer.from(keyB, "base64"));

let testbed: Testbed;
let certPartner: VsftpdPartner;
let outbound: OutboundService | undefined;
let uploads = 0;

before(async () => {
  testbed = await startTestbed("sealed", log);
  // A partner that asks for a client certificate from the test CA (the client key is the sealed secret).
  certPartner = await startVsftpdPartner(testbed.base, {
    certFile: testbed.certs.serverCertFile,
    keyFile: testbed.certs.serverKeyFile,
    extraConfig: ["require_cert=YES", "validate_cert=YES", `ca_certs_file=${testbed.certs.caCertFile}`],
  });
});

after(async () => {
  await outbound?.stop();
  await certPartner.stop();
  await testbed.stop();
});

/** `wharf …` as a process, with the keyring given by WHARF_SECRETS_KEY, WHARF_SECRETS_KEY_FILE, or none; never rejects. */
async function wharf(keys: { key?: string; keyFile?: string }, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, WHARF_NATS_URL: testbed.nats.url };
  delete env.WHARF_SECRETS_KEY;
  delete env.WHARF_SECRETS_KEY_FILE;
  if (keys.key !== undefined) env.WHARF_SECRETS_KEY = keys.key;
  if (keys.keyFile !== undefined) env.WHARF_SECRETS_KEY_FILE = keys.keyFile;
  return run(process.execPath, [cli, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** (Re)starts outbound with a keyring (or none), as its main would after loading WHARF_SECRETS_KEY_FILE. */
async function startOutbound(keyring: Keyring | undefined): Promise<void> {
  await outbound?.stop();
  outbound = await startOutboundService({ nc: testbed.nc, log, registry: createMetricsRegistry("outbound"), storage: testbed.client, random: () => 0.5, keyring });
}

const ringOf = (...keys: string[]) => loadKeyring({ keyFile: undefined, keys: keys.join(",") });

/** The partners' certificate, pinned. */
const fingerprint = () => new X509Certificate(testbed.certs.serverCert).fingerprint256.replaceAll(":", "");

/** The configuration file: two endpoints whose secrets are values, and a pipeline to each. */
async function writeConfig(name = "wharf.yaml", passwordOf: unknown = { value: testbed.partner.password }): Promise<string> {
  const file = join(testbed.base, name);
  const config = {
    endpoints: [
      { name: "sealed-in", host: "127.0.0.1", port: testbed.partner.port, user: testbed.partner.user, password: passwordOf, trust: { fingerprint: fingerprint() }, remoteFolder: "/sealed-in", timeoutMs: 5_000 },
      {
        name: "cert-in",
        host: "127.0.0.1",
        port: certPartner.port,
        user: certPartner.user,
        password: { value: certPartner.password },
        clientCertificate: { cert: testbed.certs.clientCert, key: { value: testbed.certs.clientKey } },
        trust: { fingerprint: fingerprint() },
        remoteFolder: "/cert-in",
        timeoutMs: 5_000,
      },
    ],
    pipelines: [
      { name: "to-sealed", source: { root: "sealed" }, target: "sealed-in", retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 200 } },
      { name: "to-cert", source: { root: "certified" }, target: "cert-in" },
    ],
  };
  // JSON is YAML.
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

async function store(root: string, path: string, bytes: Buffer): Promise<void> {
  const upload = testbed.client.openUpload(uploadHeader(root, path, `sealed-${++uploads}-${Date.now()}`));
  await upload.ready;
  await upload.write(bytes);
  await upload.finish("close_notify");
}

const arrivedAt = (root: string, path: string) => waitFor(() => readFile(join(root, path)).catch(() => undefined), { timeoutMs: 20_000, what: `${path} at the partner` });

const deadLetters = async (pipeline: string) =>
  (await streamMessages(testbed.nc, streams.deadLetters.name, subjects.deadLetter))
    .map((message) => message.body as { pipeline: string; reason: string; attempts: number; event: { path: string } })
    .filter((body) => body.pipeline === pipeline);

const endpointEntry = async (name: string) => {
  const entry = await (await new Kvm(testbed.nc).open(buckets.endpoints)).get(name);
  assert.ok(entry);
  return entry;
};

/** Every file of the nats-server's store (the bucket's stream, on disk) that holds the bytes. */
async function storeFilesHolding(needle: string): Promise<string[]> {
  const files = (await readdir(testbed.nats.storeDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  const holding: string[] = [];
  for (const file of files) {
    const bytes = await readFile(join(file.parentPath, file.name)).catch(() => Buffer.alloc(0));
    if (bytes.includes(needle)) holding.push(join(file.parentPath, file.name));
  }
  return holding;
}

test("wharf apply -f seals a password and a client key given as values: the bucket, its history and the server's files never hold them", async () => {
  const applied = await wharf({ key: keyA }, "apply", "-f", await writeConfig());
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /^endpoint sealed-in: created$/m);
  assert.match(applied.stdout, /^endpoint sealed-in: reachable, deliveries can work$/m, "the CLI opened the sealed password to try the login");
  assert.match(applied.stdout, /^endpoint cert-in: reachable, deliveries can work$/m, "and the sealed client key for the handshake");
  const clientKeyBody = testbed.certs.clientKey.split("\n")[1] as string;
  for (const name of ["sealed-in", "cert-in"]) {
    const entry = await endpointEntry(name);
    const raw = Buffer.from(entry.value).toString("utf8");
    assert.ok(!raw.includes(testbed.partner.password) && !raw.includes(certPartner.password), `${name}: no password in ${raw}`);
    assert.ok(!raw.includes(clientKeyBody), `${name}: no client key`);
    assert.ok(!raw.includes('"value"'));
    const endpoint = EndpointConfig.parse(entry.json());
    assert.equal(endpoint.password?.sealed?.kid, kidA);
  }
  assert.equal(EndpointConfig.parse((await endpointEntry("cert-in")).json()).clientCertificate?.key?.sealed?.kid, kidA);
  const kv = await new Kvm(testbed.nc).open(buckets.endpoints);
  for await (const revision of await kv.history({ key: "sealed-in" })) assert.ok(!Buffer.from(revision.value).includes(testbed.partner.password));
  assert.deepEqual(await storeFilesHolding(testbed.partner.password), [], "not on the nats-server's disk either");
  assert.deepEqual(await storeFilesHolding(clientKeyBody), []);
  const listed = await wharf({}, "endpoints", "ls");
  assert.match(listed.stdout, new RegExp(`^sealed-in\\t127\\.0\\.0\\.1:${testbed.partner.port}\\texplicit\\t${testbed.partner.user}\\tsealed \\(key ${kidA}\\)\\t`, "m"));
  assert.ok(!listed.stdout.includes(testbed.partner.password));
});

test("outbound opens the sealed secrets with its keyring: logs in to vsftpd with the password, and presents the client certificate whose key is sealed", async () => {
  await startOutbound(await ringOf(keyA));
  const bytes = randomBytes(4096);
  await store("sealed", "/hello.bin", bytes);
  assert.deepEqual(await arrivedAt(testbed.partner.root, "sealed-in/hello.bin"), bytes);
  const certified = randomBytes(2048);
  await store("certified", "/signed.bin", certified);
  assert.deepEqual(await arrivedAt(certPartner.root, "cert-in/signed.bin"), certified);
  // The partner does refuse a session without the certificate: the sealed key was what got it through.
  const { clientCertificate: _certificate, ...without } = EndpointConfig.parse((await endpointEntry("cert-in")).json());
  await assert.rejects(openSession(EndpointConfig.parse(without), log, { keyring: await ringOf(keyA), env: process.env }));
});

test("the same file applied again changes nothing: the stored sealing is kept", async () => {
  const before = await endpointEntry("sealed-in");
  const again = await wharf({ key: keyA }, "apply", "-f", await writeConfig());
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^endpoint sealed-in: unchanged$/m);
  assert.match(again.stdout, /^endpoint cert-in: unchanged$/m);
  assert.equal((await endpointEntry("sealed-in")).revision, before.revision);
});

test("a value without a keyring, or a bad key, is refused before anything is written; the key's value is never shown", async () => {
  const before = await endpointEntry("sealed-in");
  const changed = await writeConfig("changed.yaml", { value: "another-password" });
  const none = await wharf({}, "apply", "-f", changed);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /nothing was applied/);
  assert.match(none.stderr, /endpoints\[0\]\.password: a value is sealed before it is stored, and no keyring is configured: set WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY/);
  const shortKey = randomBytes(16).toString("base64");
  const bad = await wharf({ key: shortKey }, "apply", "-f", changed);
  assert.equal(bad.code, 78);
  assert.match(bad.stderr, /WHARF_SECRETS_KEY: key 1: is 16 bytes, a key is 32/);
  assert.ok(!bad.stderr.includes(shortKey));
  assert.equal((await endpointEntry("sealed-in")).revision, before.revision, "nothing written");
});

test("outbound without the key a secret is sealed with: the delivery is dead-lettered at once, the reason naming the key; without a keyring, saying so", async () => {
  await startOutbound(await ringOf(keyB));
  await store("sealed", "/wrong-key.bin", randomBytes(100));
  const letter = await waitFor(async () => (await deadLetters("to-sealed")).find((body) => body.event.path === "/wrong-key.bin"), { timeoutMs: 20_000, what: "the dead letter" });
  assert.equal(letter.attempts, 1, "not retried: only the keyring can change it");
  assert.match(letter.reason, new RegExp(`sealed with key ${kidA}, which the keyring lacks \\(it holds ${kidB}\\)`));
  await startOutbound(undefined);
  await store("sealed", "/no-keyring.bin", randomBytes(100));
  const none = await waitFor(async () => (await deadLetters("to-sealed")).find((body) => body.event.path === "/no-keyring.bin"), { timeoutMs: 20_000, what: "the dead letter" });
  assert.equal(none.attempts, 1);
  assert.match(none.reason, new RegExp(`sealed \\(key ${kidA}\\), and no keyring is configured here`));
  assert.ok(!none.reason.includes(testbed.partner.password));
});

test("rotation: with keyring [B, A], wharf secrets rotate re-wraps everything under B; then B alone opens everything and A alone fails naming B", async () => {
  const both = join(testbed.base, "keys-b-a");
  await writeFile(both, `# B is new (rotation in progress); A goes once wharf secrets rotate has run\n${keyB}\n${keyA}\n`, { mode: 0o600 });
  const onlyB = join(testbed.base, "keys-b");
  await writeFile(onlyB, `${keyB}\n`, { mode: 0o600 });
  const ct = EndpointConfig.parse((await endpointEntry("sealed-in")).json()).password?.sealed?.ct;

  const before = await wharf({ keyFile: both }, "secrets", "status");
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, new RegExp(`^keyring: ${kidB} \\(current\\), ${kidA}$`, "m"));
  assert.match(before.stdout, new RegExp(`^key ${kidA} \\(older\\): 3 sealed secrets, all open$`, "m"));
  assert.match(before.stdout, /^3 sealed secrets not under the current key: run wharf secrets rotate$/m);

  const rotated = await wharf({ keyFile: both }, "secrets", "rotate");
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, new RegExp(`^key ${kidA}: 3 sealed secrets re-wrapped under ${kidB}$`, "m"));
  const moved = EndpointConfig.parse((await endpointEntry("sealed-in")).json()).password?.sealed;
  assert.equal(moved?.kid, kidB);
  assert.equal(moved?.ct, ct, "the secret is not encrypted again: only its data key is re-wrapped");
  assert.match((await wharf({ keyFile: both }, "secrets", "rotate")).stdout, new RegExp(`^key ${kidB} \\(current\\): 3 sealed secrets already under it$`, "m"));

  const withB = await wharf({ keyFile: onlyB }, "secrets", "status");
  assert.equal(withB.code, 0, withB.stderr);
  assert.match(withB.stdout, new RegExp(`^key ${kidB} \\(current\\): 3 sealed secrets, all open$`, "m"));
  const withA = await wharf({ key: keyA }, "secrets", "status");
  assert.equal(withA.code, 1);
  assert.match(withA.stdout, new RegExp(`^key ${kidB} \\(not in the keyring\\): 3 sealed secrets, 3 do not open$`, "m"));
  const validated = await wharf({ key: keyA }, "endpoints", "validate", "sealed-in");
  assert.equal(validated.code, 1);
  assert.match(validated.stdout, new RegExp(`^FAIL login: the secret at wharf_endpoints/sealed-in/password is sealed with key ${kidB}, which the keyring lacks \\(it holds ${kidA}\\)`, "m"));
  const endpoint = EndpointConfig.parse((await endpointEntry("sealed-in")).json());
  await assert.rejects(
    openSession(endpoint, log, { keyring: await ringOf(keyA), env: process.env }),
    (error: unknown) => error instanceof PushError && !error.retryable && error.message.includes(`sealed with key ${kidB}, which the keyring lacks`),
  );

  await startOutbound(await loadKeyring({ keyFile: onlyB, keys: undefined }));
  const bytes = randomBytes(1000);
  await store("sealed", "/after-rotation.bin", bytes);
  assert.deepEqual(await arrivedAt(testbed.partner.root, "sealed-in/after-rotation.bin"), bytes);
  const certified = randomBytes(1000);
  await store("certified", "/after-rotation.bin", certified);
  assert.deepEqual(await arrivedAt(certPartner.root, "cert-in/after-rotation.bin"), certified);
});

test("rotate without a keyring is refused; rotate with a keyring that lacks a secret's key moves nothing of it and says which", async () => {
  const none = await wharf({}, "secrets", "rotate");
  assert.equal(none.code, 78);
  assert.match(none.stderr, /needs the keyring/);
  const before = await endpointEntry("sealed-in");
  const lacking = await wharf({ key: keyA }, "secrets", "rotate");
  assert.equal(lacking.code, 1);
  assert.match(lacking.stdout, new RegExp(`^key ${kidB}: 3 sealed secrets NOT re-wrapped \\(the keyring cannot open them\\)$`, "m"));
  assert.match(lacking.stderr, new RegExp(`endpoint sealed-in: password: the secret at wharf_endpoints/sealed-in/password is sealed with key ${kidB}, which the keyring lacks`));
  assert.equal((await endpointEntry("sealed-in")).revision, before.revision);
});

test("wharf config dump: YAML that apply -f accepts, sealed secrets as placeholders, no password hash; applied back, nothing changes", async () => {
  const hash = `$argon2id$v=19$m=65536,t=3,p=4$${randomBytes(16).toString("base64").replace(/=+$/, "")}$${randomBytes(32).toString("base64").replace(/=+$/, "")}`;
  const users = await new Kvm(testbed.nc).create(buckets.users, { history: 5 });
  await users.put("alice", JSON.stringify({ name: "alice", home: "alice", passwordHash: hash }));
  const dumped = await wharf({}, "config", "dump");
  assert.equal(dumped.code, 0, dumped.stderr);
  assert.match(dumped.stdout, /^# .*Secrets are not exported/m);
  assert.match(dumped.stdout, new RegExp(`password: ["']<sealed: ${kidB}>["']`));
  assert.match(dumped.stdout, new RegExp(`key: ["']<sealed: ${kidB}>["']`));
  assert.match(dumped.stdout, /name: alice/);
  for (const secret of [testbed.partner.password, certPartner.password, testbed.certs.clientKey.split("\n")[1] as string, "$argon2id", "dek:", "kid:"]) {
    assert.ok(!dumped.stdout.includes(secret), `the dump shows ${secret}`);
  }
  const file = join(testbed.base, "dump.yaml");
  await writeFile(file, dumped.stdout);
  const applied = await wharf({ keyFile: join(testbed.base, "keys-b") }, "apply", "-f", file);
  assert.equal(applied.code, 0, applied.stderr);
  assert.deepEqual(
    applied.stdout.trim().split("\n").filter((line) => !line.endsWith(": unchanged")),
    [],
    "every endpoint, pipeline and user unchanged",
  );
  assert.equal((JSON.parse(Buffer.from((await users.get("alice"))?.value ?? []).toString()) as { passwordHash?: string }).passwordHash, hash, "alice keeps her password");
  // A placeholder where nothing sealed is stored (a renamed endpoint) is refused: there is no secret to keep.
  const renamed = join(testbed.base, "renamed.yaml");
  await writeFile(renamed, dumped.stdout.replaceAll("sealed-in", "sealed-out"));
  const refused = await wharf({ keyFile: join(testbed.base, "keys-b") }, "apply", "-f", renamed);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`endpoints\\[\\d\\]\\.password: "<sealed: ${kidB}>" keeps the sealed secret stored there, and endpoint sealed-out has none; give it as \\{ value: \\.\\.\\. \\}`));
});
