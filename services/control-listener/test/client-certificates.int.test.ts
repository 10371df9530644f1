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
const PLAIN_PASSWORD = "plain password 1";
type Mode = "password" | "request" | "require";

let stack: ListenerStack;
let partnerCa: TestCa;
let crlFile: string;
let otherCa: TestCa;
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
  otherCa = await makeTestCa(join(dir, "other-ca"), "Other Partner CA");
  const issue = async (name: string, subject: string, options: { extensions?: string; startDate?: string; endDate?: string } = {}) => {
    certs[name] = await partnerCa.issue(name, { subject, ...options });
  };
  await issue("valid", "/O=Acme/OU=EDI/CN=partner");
  await issue("rollover", "/O=Acme/OU=EDI/CN=partner");
  await issue("expired", "/O=Acme/OU=EDI/CN=partner", { startDate: "20200101000000Z", endDate: "20200102000000Z" });
  await issue("revoked", "/O=Acme/OU=EDI/CN=partner");
  await issue("globex", "/O=Globex/CN=globex");
  await issue("certonly", "/O=Acme/OU=EDI/CN=certonly");
  await issue("unmapped", "/O=Nobody/CN=nobody");
  await issue("comma", "/O=Acme\\, Inc./CN=comma");
  await issue("utf8", "/O=Acme/CN=Jürgen");
  await issue("treasury", "/OU=Treasury/CN=treasurer");
  certs["other-treasury"] = await otherCa.issue("other-treasury", { subject: "/OU=Treasury/CN=impostor" });
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
  await addUser({ name: "plain", home: "plain", password: PLAIN_PASSWORD });
  await addUser({ name: "certonly", home: "certonly", certificates: [{ subject: "CN=certonly, OU=EDI, O=Acme" }], certificateLogin: "cert-only" });
  await addUser({ name: "payments", home: "payments", certificates: [{ ou: "Payments" }], certificateLogin: "cert-only" });
  await addUser({ name: "mailer", home: "mailer", certificates: [{ email: "edi@acme.example" }], certificateLogin: "cert-only" });
  await addUser({ name: "dnser", home: "dnser", certificates: [{ dns: "EDI.acme.example" }], certificateLogin: "cert-only" });
  await addUser({ name: "urier", home: "urier", certificates: [{ uri: "spiffe://acme.example/edi" }], certificateLogin: "cert-only" });
  await addUser({ name: "umbrella1", home: "umbrella1", certificates: [{ ou: "Shared" }], certificateLogin: "cert-only" });
  await addUser({ name: "umbrella2", home: "umbrella2", certificates: [{ ou: "Shared" }], certificateLogin: "cert-only" });
  await addUser({ name: "nuller", home: "nuller", certificates: [{ email: "a@b.example" }], certificateLogin: "cert-only" });
  await addUser({ name: "acme-inc", home: "acme-inc", certificates: [{ subject: "CN=comma,O=Acme\\, Inc." }], certificateLogin: "cert-only" });
  // As `openssl x509 -noout -subject -nameopt RFC2253` prints it: the UTF-8 bytes escaped.
  await addUser({ name: "juergen", home: "juergen", certificates: [{ subject: "CN=J\\C3\\BCrgen,O=Acme" }], certificateLogin: "cert-only" });
  await addUser({ name: "treasury", home: "treasury", certificates: [{ ou: "Treasury", issuer: "CN=Partner CA" }], certificateLogin: "cert-only" });
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
  // partner lists certificates (cert+password): it logs in only with one of them, on a port that asks for it.
  const expected: Record<Mode, Record<(typeof CASES)[number], string>> = {
    // No certificate asked, so partner cannot show one; a password-only user logs in (below).
    password: { valid: "530", absent: "530", untrusted: "530", "self-signed": "530", expired: "530", revoked: "530", "wrong user": "530", "server-only": "530" },
    // Asked: a given one must be good and be the user's.
    request: { valid: "230 in", absent: "530", untrusted: "530", "self-signed": "530", expired: "530", revoked: "530", "wrong user": "530", "server-only": "530" },
    // No valid certificate, no session, whoever the user.
    require: { valid: "230 in", absent: "530", untrusted: "530", "self-signed": "530", expired: "530", revoked: "530", "wrong user": "530", "server-only": "530" },
  };
  // plain has only a password: a certificate that maps to no one is ignored where one is optional.
  const plainExpected: Record<Mode, Record<"absent" | "unmapped", string>> = {
    password: { absent: "230 in", unmapped: "230 in" },
    request: { absent: "230 in", unmapped: "230 in" },
    require: { absent: "530", unmapped: "530" },
  };
  for (const mode of ["password", "request", "require"] as const) {
    test(`${mode}: partner (certificates) and plain (password only) with the right password`, async () => {
      const port = await startPort(`mode-${mode}`, { clientAuth: mode });
      const seen: Record<string, string> = {};
      for (const name of CASES) seen[name] = outcome(await pythonLogin(port, "partner", PARTNER_PASSWORD, certificateOf(name)));
      assert.deepEqual(seen, expected[mode]);
      const plain = {
        absent: outcome(await pythonLogin(port, "plain", PLAIN_PASSWORD)),
        unmapped: outcome(await pythonLogin(port, "plain", PLAIN_PASSWORD, "unmapped")),
      };
      assert.deepEqual(plain, plainExpected[mode]);
    });
  }

  test("refusals at the TLS layer are counted by result, and each is a login.failed event with its reason", async () => {
    const metrics = await stack.registry.getSingleMetricAsString("wharf_ftp_client_certificates_total");
    assert.match(metrics, /port="mode-require",result="refused"[^\n]* 5$/m, "untrusted, self-signed, expired, revoked, server-only");
    assert.match(metrics, /port="mode-require",result="absent"[^\n]* 2$/m);
    assert.match(metrics, /port="mode-request",result="accepted"[^\n]* [1-9]/);
    assert.doesNotMatch(metrics, /port="mode-password"/, "a password port asks for no certificate");
    const reasons = await waitFor(
      async () => {
        const events = (await streamMessages(stack.nc, streams.events.name, subjects.loginFailed)).map((message) => LoginEventSchema.parse(message.body));
        const ours = events.filter((event) => event.portAlias === "mode-require").map((event) => event.reason);
        return ours.length === 9 ? ours.sort() : undefined;
      },
      { what: "nine refusals on the require port" },
    );
    assert.deepEqual(reasons, [
      "certificate does not match user", // partner with globex's certificate
      "certificate does not match user", // plain with a certificate nobody claims, where one is required
      "certificate not trusted",
      "certificate not trusted",
      "certificate not trusted",
      "certificate not trusted",
      "certificate not trusted",
      "certificate required",
      "certificate required",
    ]);
  });
});

test("a port whose CA bundle or CRL cannot be used does not start, and names the file", async () => {
  const garbage = join(stack.dataDir, "pki/garbage.pem");
  await writeFile(garbage, "not a certificate\n");
  assert.throws(() => loadPortTls({ ...stack.settings, caFile: garbage }), /garbage\.pem: no PEM certificate in the CA bundle/);
  assert.throws(() => loadPortTls({ ...stack.settings, caFile: partnerCa.certFile, crlFile: garbage }), /garbage\.pem: not a PEM CRL/);
  assert.doesNotThrow(() => loadPortTls({ ...stack.settings, caFile: partnerCa.certFile, crlFile }));
});

test("a CRL published while the port runs applies to the next sessions, without a restart", async () => {
  const late = await partnerCa.issue("late", { subject: "/O=Acme/OU=EDI/CN=late" });
  await addUser({ name: "late", home: "late", certificates: [{ fingerprint: fingerprint(late) }], certificateLogin: "cert-only" });
  certs.late = late;
  const settings: PortSettings = { ...stack.settings, alias: "crl-reload", port: 0, clientAuth: "require", caFile: partnerCa.certFile, crlFile };
  const server = await startFtpServer(settings, { ...stack.shared, settings, tls: loadPortTls({ ...settings, trustRecheckMs: 0 }) });
  ports.set("crl-reload", server);
  assert.equal(outcome(await pythonLogin(server.port, "late", undefined, "late")), "232 in");
  await partnerCa.revoke(late);
  assert.equal(await partnerCa.writeCrl(), crlFile);
  assert.equal(outcome(await pythonLogin(server.port, "late", undefined, "late")), "530");
});

describe("certificate -> user mapping", () => {
  let port: number;
  let implicitPort: number;
  let requestPort: number;
  before(async () => {
    // Two partners' CAs in one bundle: a rule that names its issuer is not fooled by the other CA.
    const bundle = join(stack.dataDir, "pki/bundle.pem");
    await writeFile(bundle, `${partnerCa.cert}${otherCa.cert}`);
    port = await startPort("mapped", { clientAuth: "require", caFile: bundle });
    requestPort = await startPort("mapped-request", { clientAuth: "request" });
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

  test("subject DNs with escaped commas and UTF-8 map as openssl prints them; an issuer-bound rule refuses the other CA's look-alike", async () => {
    const seen = {
      comma: outcome(await pythonLogin(port, "acme-inc", undefined, "comma")),
      utf8: outcome(await pythonLogin(port, "juergen", undefined, "utf8")),
      treasury: outcome(await pythonLogin(port, "treasury", undefined, "treasury")),
      impostor: outcome(await pythonLogin(port, "treasury", undefined, "other-treasury")),
    };
    assert.deepEqual(seen, { comma: "232 in", utf8: "232 in", treasury: "232 in", impostor: "530" });
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
    // A cert-only user has no password to fall back on, even where a certificate is optional.
    assert.equal(outcome(await pythonLogin(requestPort, "certonly", "anything", undefined)), "530");
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
