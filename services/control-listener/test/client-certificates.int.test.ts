/**
 * Client certificates (PROTOCOL §5 T20-T22; issue 4): every port mode
 * (password, request, require) × valid, absent, untrusted-CA, self-signed,
 * expired, revoked (CRL) and wrong-user certificates with Python's ssl; the
 * mapping rules (fingerprint, subject, OU, SAN email/DNS/URI), rollover,
 * cert-only and cert+password users, ambiguous and NUL refusals; curl for the
 * cert-only path, explicit and implicit.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { X509Certificate } from "node:crypto";
import { type LoginEvent, LoginEvent as LoginEventSchema, streams, subjects, type UserRecordInput } from "@wharf/contracts";
import { hashPassword } from "@wharf/auth";
import { type IssuedCertificate, makeTestCa, runPython, streamMessages, type TestCa, waitFor } from "@wharf/testing";
import type { PortSettings } from "../src/config.js";
import { type FtpServer, startFtpServer } from "../src/ftp-server.js";
import { loadPortTls } from "../src/tls-contexts.js";
import { type ListenerStack, startListenerStack } from "./harness.js";

const run = promisify(execFile);
const PARTNER_PASSWORD = "partner password 1";
type Mode = "password" | "request" | "require";

let stack: ListenerStack;
let partnerCa: TestCa;
let crlFile: string;
const certs: Record<string, IssuedCertificate> = {};
const ports = new Map<string, FtpServer>();

const fingerprint = (certificate: IssuedCertificate) => new X509Certificate(certificate.cert).fingerprint256;

async function startPort(alias: string, overrides: Partial<PortSettings>): Promise<number> {
  const settings: PortSettings = { ...stack.settings, alias, port: 0, caFile: partnerCa.certFile, crlFile, ...overrides };
  const server = await startFtpServer(settings, { ...stack.shared, settings, tls: loadPortTls(settings) });
  ports.set(alias, server);
  return server.port;
}

async function addUser(user: UserRecordInput & { password?: string }): Promise<void> {
  const { password, ...record } = user;
  await stack.users.put({ ...record, ...(password ? { passwordHash: await hashPassword(password, stack.argon2) } : {}) });
  await mkdir(join(stack.dataDir, "storage/files", record.home), { recursive: true });
}

before(async () => {
  stack = await startListenerStack();
  const dir = join(stack.dataDir, "pki");
  partnerCa = await makeTestCa(join(dir, "partner-ca"), "Partner CA");
  const rogueCa = await makeTestCa(join(dir, "rogue-ca"), "Rogue CA");
  const issue = async (name: string, subject: string, options: { extensions?: string; startDate?: string; endDate?: string } = {}) => {
    certs[name] = await partnerCa.issue(name, { subject, ...options });
  };
  await issue("valid", "/O=Acme/OU=EDI/CN=partner");
  await issue("rollover", "/O=Acme/OU=EDI/CN=partner");
  await issue("expired", "/O=Acme/OU=EDI/CN=partner", { startDate: "20200101000000Z", endDate: "20200102000000Z" });
  await issue("revoked", "/O=Acme/OU=EDI/CN=partner");
  await issue("globex", "/O=Globex/CN=globex");
  await issue("certonly", "/O=Acme/OU=EDI/CN=certonly");
  await issue("ou", "/O=Initech/OU=Payments/CN=anyone");
  await issue("shared-ou", "/O=Umbrella/OU=Shared/CN=someone");
  await issue("email", "/CN=mail-partner", { extensions: "extendedKeyUsage=clientAuth\nsubjectAltName=email:EDI@acme.example\n" });
  await issue("dns", "/CN=dns-partner", { extensions: "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:edi.acme.example\n" });
  await issue("uri", "/CN=uri-partner", { extensions: "extendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://acme.example/edi\n" });
  // subjectAltName DNS "good\0.evil" and email "a@b.example", in DER: OpenSSL's config syntax cannot write a NUL.
  const nulName = Buffer.from("good\0.evil");
  const email = Buffer.from("a@b.example");
  const names = Buffer.concat([Buffer.from([0x82, nulName.length]), nulName, Buffer.from([0x81, email.length]), email]);
  const nulSan = Buffer.concat([Buffer.from([0x30, names.length]), names]).toString("hex");
  await issue("nul", "/CN=nul-partner", { extensions: `extendedKeyUsage=clientAuth\nsubjectAltName=DER:${nulSan}\n` });
  // A certificate for TLS servers only: OpenSSL's purpose check refuses it as a client's (key usage).
  await issue("server-only", "/O=Acme/OU=EDI/CN=partner", { extensions: "extendedKeyUsage=serverAuth\n" });
  certs.untrusted = await rogueCa.issue("untrusted", { subject: "/O=Acme/OU=EDI/CN=partner" });
  const selfSigned = { certFile: join(dir, "self.crt"), keyFile: join(dir, "self.key") };
  await run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", selfSigned.keyFile, "-out", selfSigned.certFile,
    "-days", "2", "-subj", "/O=Acme/OU=EDI/CN=partner", "-addext", "extendedKeyUsage=clientAuth",
  ]);
  certs["self-signed"] = { ...selfSigned, cert: await readFile(selfSigned.certFile, "utf8"), key: await readFile(selfSigned.keyFile, "utf8") };
  await partnerCa.revoke(certs.revoked as IssuedCertificate);
  crlFile = await partnerCa.writeCrl();

  const cert = (name: string) => certs[name] as IssuedCertificate;
  await addUser({ name: "partner", home: "partner", password: PARTNER_PASSWORD, certificates: [{ fingerprint: fingerprint(cert("valid")) }, { fingerprint: fingerprint(cert("rollover")) }, { fingerprint: fingerprint(cert("expired")) }, { fingerprint: fingerprint(cert("revoked")) }] });
  await addUser({ name: "globex", home: "globex", password: "globex password", certificates: [{ subject: "CN=globex,O=Globex" }] });
  await addUser({ name: "certonly", home: "certonly", certificates: [{ subject: "CN=certonly, OU=EDI, O=Acme" }], certificateLogin: "cert-only" });
  await addUser({ name: "payments", home: "payments", certificates: [{ ou: "Payments" }], certificateLogin: "cert-only" });
  await addUser({ name: "mailer", home: "mailer", certificates: [{ email: "edi@acme.example" }], certificateLogin: "cert-only" });
  await addUser({ name: "dnser", home: "dnser", certificates: [{ dns: "EDI.acme.example" }], certificateLogin: "cert-only" });
  await addUser({ name: "urier", home: "urier", certificates: [{ uri: "spiffe://acme.example/edi" }], certificateLogin: "cert-only" });
  await addUser({ name: "umbrella1", home: "umbrella1", certificates: [{ ou: "Shared" }], certificateLogin: "cert-only" });
  await addUser({ name: "umbrella2", home: "umbrella2", certificates: [{ ou: "Shared" }], certificateLogin: "cert-only" });
  await addUser({ name: "nuller", home: "nuller", certificates: [{ email: "a@b.example" }], certificateLogin: "cert-only" });
});

after(async () => {
  for (const server of ports.values()) {
    server.stopAccepting();
    await server.closeSessions();
  }
  await stack.stop();
});

interface PythonLogin {
  user?: string;
  pass?: string;
  roundtrip?: boolean;
  error?: string;
}

/** Logs in with Python's ssl (optionally with a certificate) and, once in, stores and reads a file back. */
async function pythonLogin(port: number, user: string, password: string | undefined, certificate?: string): Promise<PythonLogin> {
  const cert = certificate ? (certs[certificate] as IssuedCertificate) : undefined;
  const args = ["127.0.0.1", String(port), user, password ?? "-", ...(cert ? [cert.certFile, cert.keyFile] : [])];
  return JSON.parse(await runPython("cert_login.py", args)) as PythonLogin;
}

/** "230 in" when logged in and the round trip worked, else the refusal's code: what a table can compare. */
function outcome(result: PythonLogin): string {
  if (result.roundtrip === true) return `${(result.pass ?? result.user ?? "").slice(0, 3)} in`;
  return /\b([45]\d\d)\b/.exec(result.error ?? "")?.[1] ?? `no reply: ${result.error}`;
}

const CASES = ["valid", "absent", "untrusted", "self-signed", "expired", "revoked", "wrong user", "server-only"] as const;
const certificateOf = (name: (typeof CASES)[number]) => (name === "absent" ? undefined : name === "wrong user" ? "globex" : name);

describe("client-auth modes × certificates (T20, T21, T22)", () => {
  const expected: Record<Mode, Record<(typeof CASES)[number], string>> = {
    // No certificate asked: the password decides, whatever the client holds.
    password: { valid: "230 in", absent: "230 in", untrusted: "230 in", "self-signed": "230 in", expired: "230 in", revoked: "230 in", "wrong user": "230 in", "server-only": "230 in" },
    // Asked: used when given (and then it must be good and be the user's); absent, the password.
    request: { valid: "230 in", absent: "230 in", untrusted: "530", "self-signed": "530", expired: "530", revoked: "530", "wrong user": "530", "server-only": "530" },
    // No valid certificate of the user's, no session.
    require: { valid: "230 in", absent: "530", untrusted: "530", "self-signed": "530", expired: "530", revoked: "530", "wrong user": "530", "server-only": "530" },
  };
  for (const mode of ["password", "request", "require"] as const) {
    test(`${mode}: partner with the right password`, async () => {
      const port = await startPort(`mode-${mode}`, { clientAuth: mode });
      const seen: Record<string, string> = {};
      for (const name of CASES) seen[name] = outcome(await pythonLogin(port, "partner", PARTNER_PASSWORD, certificateOf(name)));
      assert.deepEqual(seen, expected[mode]);
    });
  }

  test("refusals at the TLS layer are counted by result, and each is a login.failed event with its reason", async () => {
    const metrics = await stack.registry.getSingleMetricAsString("wharf_ftp_client_certificates_total");
    assert.match(metrics, /port="mode-require",result="refused"[^\n]* 5$/m, "untrusted, self-signed, expired, revoked, server-only");
    assert.match(metrics, /port="mode-require",result="absent"[^\n]* 1$/m);
    assert.match(metrics, /port="mode-request",result="accepted"[^\n]* [1-9]/);
    assert.doesNotMatch(metrics, /port="mode-password"/, "a password port asks for no certificate");
    const reasons = await waitFor(
      async () => {
        const events = (await streamMessages(stack.nc, streams.events.name, subjects.loginFailed)).map((message) => LoginEventSchema.parse(message.body));
        const ours = events.filter((event) => event.portAlias === "mode-require").map((event) => event.reason);
        return ours.length === 7 ? ours.sort() : undefined;
      },
      { what: "seven refusals on the require port" },
    );
    assert.deepEqual(reasons, [
      "certificate does not match user",
      "certificate not trusted",
      "certificate not trusted",
      "certificate not trusted",
      "certificate not trusted",
      "certificate not trusted",
      "certificate required",
    ]);
  });
});

describe("certificate -> user mapping", () => {
  let port: number;
  let implicitPort: number;
  before(async () => {
    port = await startPort("mapped", { clientAuth: "require" });
    implicitPort = await startPort("mapped-implicit", { clientAuth: "require", tlsMode: "implicit" });
  });

  test("cert-only users log in at USER with 232, mapped by subject DN, OU, SAN email, DNS and URI", async () => {
    const seen: Record<string, string> = {};
    for (const [user, certificate] of [["certonly", "certonly"], ["payments", "ou"], ["mailer", "email"], ["dnser", "dns"], ["urier", "uri"]] as const) {
      const result = await pythonLogin(port, user, undefined, certificate);
      seen[user] = `${outcome(result)}${result.pass ? " (PASS sent)" : ""}`;
    }
    assert.deepEqual(seen, { certonly: "232 in", payments: "232 in", mailer: "232 in", dnser: "232 in", urier: "232 in" });
  });

  test("cert+password: the mapped certificate alone is not enough; with the password it is, by fingerprint, old and new (rollover)", async () => {
    assert.equal(outcome(await pythonLogin(port, "partner", "wrong password", "valid")), "530");
    assert.equal(outcome(await pythonLogin(port, "partner", PARTNER_PASSWORD, "valid")), "230 in");
    assert.equal(outcome(await pythonLogin(port, "partner", PARTNER_PASSWORD, "rollover")), "230 in");
    // The rollover is over: the old certificate's rule is removed, and the old certificate stops working.
    const partner = await stack.users.get("partner");
    assert.ok(partner);
    await stack.users.put({ ...partner, certificates: [{ fingerprint: fingerprint(certs.rollover as IssuedCertificate) }] });
    assert.equal(outcome(await pythonLogin(port, "partner", PARTNER_PASSWORD, "valid")), "530");
    assert.equal(outcome(await pythonLogin(port, "partner", PARTNER_PASSWORD, "rollover")), "230 in");
  });

  test("never a guess: another user's certificate, a certificate two users claim, and an embedded NUL are refused", async () => {
    assert.equal(outcome(await pythonLogin(port, "certonly", undefined, "globex")), "530");
    assert.equal(outcome(await pythonLogin(port, "globex", "globex password", "certonly")), "530");
    assert.equal(outcome(await pythonLogin(port, "umbrella1", undefined, "shared-ou")), "530");
    assert.equal(outcome(await pythonLogin(port, "nuller", undefined, "nul")), "530");
    // A cert-only user has no password to fall back on.
    assert.equal(outcome(await pythonLogin(port, "certonly", "anything", undefined)), "530");
    const reasons = await waitFor(
      async () => {
        const events = (await streamMessages(stack.nc, streams.events.name, subjects.loginFailed)).map((message) => LoginEventSchema.parse(message.body) as LoginEvent);
        const byUser = new Map(events.filter((event) => event.portAlias === "mapped").map((event) => [event.user, event.reason]));
        return byUser.has("nuller") && byUser.has("umbrella1") ? byUser : undefined;
      },
      { what: "the refusals' login events" },
    );
    assert.equal(reasons.get("umbrella1"), "ambiguous certificate mapping");
    assert.equal(reasons.get("nuller"), "certificate has an embedded NUL");
    assert.equal(reasons.get("globex"), "certificate does not match user");
  });

  test("curl logs a cert-only user in with its certificate alone, explicit and implicit, and stores a file", async () => {
    const cert = certs.certonly as IssuedCertificate;
    const source = join(stack.dataDir, "curl-cert.txt");
    await writeFile(source, "sent by curl with a client certificate\n");
    const curl = (...args: string[]) =>
      run("curl", ["--silent", "--show-error", "--insecure", "--max-time", "30", "--cert", cert.certFile, "--key", cert.keyFile, "-u", "certonly:", ...args]);
    await curl("--ssl-reqd", "-T", source, `ftp://127.0.0.1:${port}/explicit.txt`);
    await curl("-T", source, `ftps://127.0.0.1:${implicitPort}/implicit.txt`);
    for (const name of ["explicit.txt", "implicit.txt"]) {
      assert.equal(await readFile(join(stack.dataDir, "storage/files/certonly", name), "utf8"), "sent by curl with a client certificate\n");
    }
    // Without the certificate, or with a revoked one, curl is turned away.
    // 67: "the user name, password, or similar was not accepted".
    await assert.rejects(run("curl", ["--silent", "--insecure", "--max-time", "30", "--ssl-reqd", "-u", `partner:${PARTNER_PASSWORD}`, `ftp://127.0.0.1:${port}/`]), (error: { code?: number }) => error.code === 67);
    const revoked = certs.revoked as IssuedCertificate;
    await assert.rejects(
      run("curl", ["--silent", "--insecure", "--max-time", "30", "--ssl-reqd", "--cert", revoked.certFile, "--key", revoked.keyFile, "-u", `partner:${PARTNER_PASSWORD}`, `ftp://127.0.0.1:${port}/`]),
      (error: { code?: number }) => error.code === 67,
    );
  });

  test("logins are counted and announced by method: cert and cert+password", async () => {
    const metrics = await stack.registry.getSingleMetricAsString("wharf_ftp_logins_total");
    assert.match(metrics, /port="mapped",result="ok"[^\n]* [1-9]/);
    const events = (await streamMessages(stack.nc, streams.events.name, subjects.loginSucceeded)).map((message) => LoginEventSchema.parse(message.body));
    const methods = new Set(events.filter((event) => event.portAlias === "mapped").map((event) => `${event.user}:${event.method}`));
    assert.ok(methods.has("certonly:cert"), [...methods].join());
    assert.ok(methods.has("partner:cert+password"), [...methods].join());
  });
});
