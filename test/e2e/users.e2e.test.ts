/**
 * `wharf users`, run as an operator runs it, against a real nats-server with
 * JetStream: users land in the wharf_users bucket with argon2id hashes only,
 * and bad input gets a message and a non-zero exit, never a stack trace.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createUserStore, verifyPassword } from "@wharf/auth";
import { connectBus, type NatsConnection } from "@wharf/bus";
import { createLogger } from "@wharf/telemetry";
import { startNatsServer, type TestNatsServer } from "@wharf/testing";

const cli = fileURLToPath(new URL("../../../packages/cli/dist/src/main.js", import.meta.url));
let nats: TestNatsServer;
let nc: NatsConnection;

before(async () => {
  nats = await startNatsServer();
  nc = await connectBus({ url: nats.url, name: "users-test" }, createLogger({ service: "users-test", level: "silent" }));
});
after(async () => {
  await nc.close();
  await nats.stop();
});

/** Runs `wharf users …` with `input` on its standard input: exit code and output. */
function wharfUsers(args: string[], input = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Cheap argon2id for the test; the cost parameters are the operator's to set.
    const env = { ...process.env, WHARF_NATS_URL: nats.url, WHARF_ARGON2_MEMORY_KIB: "8192", WHARF_ARGON2_PASSES: "1" };
    const child = execFile(process.execPath, [cli, "users", ...args], { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

test("wharf users add, ls, set and rm manage users that auth verifies with argon2id", async () => {
  const added = await wharfUsers(["add", "acme", "--home", "acme-files", "--password-stdin"], "s3cret-password\n");
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /user acme: added/);
  assert.doesNotMatch(added.stdout + added.stderr, /s3cret-password|\$argon2id/);

  const store = await createUserStore(nc);
  const record = await store.get("acme");
  assert.ok(record);
  assert.equal(record.home, "acme-files");
  assert.match(record.passwordHash ?? "", /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
  assert.equal(await verifyPassword("s3cret-password", record.passwordHash ?? ""), true);

  // Without --password-stdin, a random password is made and shown once.
  const generated = await wharfUsers(["add", "globex"]);
  assert.equal(generated.code, 0, generated.stderr);
  const password = /^password: (\S+)/m.exec(generated.stdout)?.[1];
  assert.ok(password);
  assert.equal(await verifyPassword(password, (await store.get("globex"))?.passwordHash ?? ""), true);

  const listed = await wharfUsers(["ls"]);
  assert.equal(listed.code, 0);
  assert.deepEqual(listed.stdout.trim().split("\n"), [
    "NAME\tENABLED\tHOME\tPASSWORD\tCERTIFICATES\tTLS\tFROM\tPORTS\tPERMISSIONS\tQUOTA",
    "acme\ttrue\tacme-files\tyes\t-\toptional\tany\tany\t*\t-",
    "globex\ttrue\tglobex\tyes\t-\toptional\tany\tany\t*\t-",
  ]);

  const disabled = await wharfUsers(["set", "acme", "--disable"]);
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.equal((await store.get("acme"))?.enabled, false);
  assert.equal((await store.get("acme"))?.passwordHash, record.passwordHash, "set without --password-stdin keeps the password");

  const changed = await wharfUsers(["set", "acme", "--enable", "--password-stdin"], "another-password\n");
  assert.equal(changed.code, 0, changed.stderr);
  const after = await store.get("acme");
  assert.equal(after?.enabled, true);
  assert.equal(await verifyPassword("another-password", after?.passwordHash ?? ""), true);
  assert.equal(await verifyPassword("s3cret-password", after?.passwordHash ?? ""), false);

  const rules = await wharfUsers([
    "set", "acme", "--perm", "/=list,read", "--perm", "/inbox/=list,write", "--allow-from", "10.0.0.0/8,192.0.2.7", "--ports", "partners",
    "--tls-required", "--cert-subject", "CN=acme,O=Acme", "--cert-issuer", "CN=Acme CA", "--cert-fingerprint", "ab".repeat(32), "--cert-login", "cert-only", "--upload-limit", "1048576", "--quota-bytes", "5000000", "--quota-files", "100",
  ]);
  assert.equal(rules.code, 0, rules.stderr);
  const ruled = await store.get("acme");
  assert.deepEqual(
    { permissions: ruled?.permissions, from: ruled?.allowedAddresses, ports: ruled?.allowedPorts, tls: ruled?.tlsRequired, certificates: ruled?.certificates, login: ruled?.certificateLogin, up: ruled?.uploadBytesPerSecond, quota: ruled?.quota },
    {
      permissions: { "/": ["list", "read"], "/inbox": ["list", "write"] },
      from: ["10.0.0.0/8", "192.0.2.7"],
      ports: ["partners"],
      tls: true,
      certificates: [{ subject: "CN=acme,O=Acme", issuer: "CN=Acme CA" }, { fingerprint: "AB".repeat(32) }],
      login: "cert-only",
      up: 1_048_576,
      quota: { bytes: 5_000_000, files: 100 },
    },
  );
  assert.equal(ruled?.passwordHash, after?.passwordHash, "rules leave the password alone");
  assert.match((await wharfUsers(["ls"])).stdout, /^acme\ttrue\tacme-files\tyes\t2 \(cert-only\)\trequired\t10\.0\.0\.0\/8,192\.0\.2\.7\tpartners\t\/=list,read \/inbox=list,write\t5000000 bytes, 100 files$/m);
  const certOnly = await wharfUsers(["set", "acme", "--no-password", "--allow-from", "any", "--ports", "any", "--no-quota"]);
  assert.equal(certOnly.code, 0, certOnly.stderr);
  assert.equal((await store.get("acme"))?.passwordHash, undefined);
  assert.deepEqual((await store.get("acme"))?.allowedAddresses, []);
  assert.equal((await store.get("acme"))?.quota, undefined);

  const removed = await wharfUsers(["rm", "globex"]);
  assert.equal(removed.code, 0);
  assert.equal(await store.get("globex"), undefined);
});

test("wharf users refuses bad input with a message a person can act on, and changes nothing", async () => {
  const cases: Array<[string[], string, number, RegExp]> = [
    [["add", "anonymous"], "", 2, /cannot be a user name/],
    [["add", "bad name!"], "", 2, /cannot be a user name/],
    [["add", "initech", "--home", "../etc"], "", 1, /home: must be 1-128 of/],
    [["add", "initech", "--perm", "/in=list,fly"], "", 1, /permissions\.\/in\[1\]: must be one of list, read, write/],
    [["add", "initech", "--perm", "list"], "", 2, /--perm needs FOLDER=PERMISSIONS/],
    [["add", "initech", "--perm", "/in=any"], "", 2, /"any" is not a permission; "\*" grants all/],
    [["add", "initech", "--cert-issuer", "CN=Acme CA"], "", 2, /--cert-issuer goes with --cert-subject/],
    [["add", "initech", "--allow-from", "10.0.0.0/33"], "", 1, /allowedAddresses\[0\]: must be an address or CIDR/],
    [["add", "initech", "--cert-fingerprint", "abc"], "", 1, /certificates\[0\]\.fingerprint: must be a SHA-256 fingerprint/],
    [["add", "initech", "--cert-file", "/nonexistent.pem"], "", 2, /--cert-file \/nonexistent\.pem: not a readable PEM certificate \(ENOENT\)/],
    [["add", "initech", "--cert-login", "sometimes"], "", 2, /--cert-login must be cert-only or cert\+password/],
    [["add", "initech", "--upload-limit", "fast"], "", 2, /--upload-limit needs bytes per second/],
    [["add", "initech", "--quota-files", "0"], "", 2, /--quota-files needs a whole number above 0/],
    [["add", "initech", "--home"], "", 2, /--home needs a value/],
    [["add", "initech", "--colour"], "", 2, /unknown option "--colour"/],
    [["add", "initech", "--password-stdin"], "short\n", 1, /at least 8 characters/],
    [["set", "nobody-here"], "", 1, /no user "nobody-here"/],
    [["rm", "nobody-here"], "", 1, /no user "nobody-here"/],
    [["frobnicate"], "", 2, /usage:/],
    [["add"], "", 2, /needs a user name/],
  ];
  for (const [args, input, code, message] of cases) {
    const result = await wharfUsers(args, input);
    assert.equal(result.code, code, `wharf users ${args.join(" ")}`);
    assert.match(result.stderr, message, `wharf users ${args.join(" ")}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }
  const store = await createUserStore(nc);
  assert.equal(await store.get("initech"), undefined);

  await wharfUsers(["add", "hooli", "--password-stdin"], "first-password\n");
  const again = await wharfUsers(["add", "hooli", "--password-stdin"], "second-password\n");
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists; change it with "wharf users set hooli/);
  assert.equal(await verifyPassword("first-password", (await store.get("hooli"))?.passwordHash ?? ""), true);
});
