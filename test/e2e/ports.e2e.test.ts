import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { hashPassword } from "@wharf/auth";
import { getFreePort, makeTestCa, waitFor } from "@wharf/testing";
import { type RunningWharf, startWharf, stopWharf, wharfCli } from "./stack.js";

const run = promisify(execFile);
let wharf: RunningWharf;

before(async () => {
  wharf = await startWharf();
});
after(() => stopWharf(wharf));

const cli = (...args: string[]) => wharfCli(wharf, ...args);

test("wharf apply -f adds an implicit-FTPS port that curl uses within seconds; wharf ports status shows it", async () => {
  const port = await getFreePort();
  const file = join(wharf.dataDir, "wharf.yaml");
  await writeFile(
    file,
    [
      "ports:",
      "  - alias: partners-implicit",
      `    port: ${port}`,
      "    bindAddress: 127.0.0.1",
      "    tlsMode: implicit",
      "    description: implicit FTPS for partners that cannot do AUTH TLS",
      "    passive:",
      "      ports: 42000-42999",
      "    tls:",
      `      certFile: ${join(wharf.dataDir, "tls/server.crt")}`,
      `      keyFile: ${join(wharf.dataDir, "tls/server.key")}`,
      "",
    ].join("\n"),
  );
  const applied = await cli("apply", "-f", file);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /port partners-implicit: created/);
  const listing = await waitFor(
    () =>
      run("curl", ["--silent", "--insecure", "--max-time", "10", "-u", `demo:${wharf.password}`, `ftps://127.0.0.1:${port}/`]).then(
        ({ stdout }) => stdout || "(empty)",
        () => undefined,
      ),
    { timeoutMs: 10_000, what: "the new port to answer curl" },
  );
  assert.ok(listing.length > 0);
  const status = await cli("ports", "status");
  assert.match(status.stdout, /^partners-implicit\t\w+\tlistening\t\d+/m);
  const again = await cli("apply", "-f", file);
  assert.match(again.stdout, /port partners-implicit: unchanged/);
  // A file without a ports section leaves the ports alone (here: an empty list of users).
  const usersOnly = join(wharf.dataDir, "users-only.yaml");
  await writeFile(usersOnly, "users: []\n");
  const other = await cli("apply", "-f", usersOnly);
  assert.equal(other.code, 0, other.stderr);
  assert.doesNotMatch(other.stdout, /port partners-implicit/);
  assert.match((await cli("ports", "ls")).stdout, /^partners-implicit\t/m);
});

test("wharf apply -f with a bad file names every problem and applies nothing", async () => {
  const file = join(wharf.dataDir, "bad.yaml");
  await writeFile(file, ["ports:", "  - alias: has space", "    port: 99999", "    tlsMode: sometimes", ""].join("\n"));
  const result = await cli("apply", "-f", file);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /nothing was applied/);
  assert.match(result.stderr, /ports\[0\]\.alias: /);
  assert.match(result.stderr, /ports\[0\]\.port: /);
  assert.match(result.stderr, /ports\[0\]\.tlsMode: /);
  const listed = await cli("ports", "ls");
  assert.doesNotMatch(listed.stdout, /has space/);
});

test("wharf apply -f adds a port that requires client certificates and a cert-only user; curl gets in with the certificate alone", async () => {
  const ca = await makeTestCa(join(wharf.dataDir, "partner-ca"), "Partner CA");
  const edi = await ca.issue("edi", { subject: "/O=Acme/OU=EDI/CN=acme-edi" });
  const port = await getFreePort();
  const file = join(wharf.dataDir, "mtls.yaml");
  await writeFile(
    file,
    [
      "ports:",
      "  - alias: partners-mtls",
      `    port: ${port}`,
      "    bindAddress: 127.0.0.1",
      "    passive:",
      "      ports: 43000-43999",
      "    tls:",
      `      certFile: ${join(wharf.dataDir, "tls/server.crt")}`,
      `      keyFile: ${join(wharf.dataDir, "tls/server.key")}`,
      "      clientAuth: require",
      `      caFile: ${ca.certFile}`,
      "users:",
      "  - name: acme",
      "    home: acme",
      `    passwordHash: "${await hashPassword("acme password 1", { memoryKiB: 8_192, passes: 1, parallelism: 1 })}"`,
      "    certificateLogin: cert-only",
      "    certificates:",
      '      - subject: "CN=acme-edi,OU=EDI,O=Acme"',
      "    permissions:",
      '      "/": [list, write]',
      "",
    ].join("\n"),
  );
  const applied = await cli("apply", "-f", file);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /user acme: created\n/);
  const source = join(wharf.dataDir, "edi.txt");
  await writeFile(source, "an EDI message\n");
  const curl = (...args: string[]) => run("curl", ["--silent", "--show-error", "--insecure", "--max-time", "10", "--ssl-reqd", "-u", "acme:", ...args]);
  await waitFor(
    () => curl("--cert", edi.certFile, "--key", edi.keyFile, "-T", source, `ftp://127.0.0.1:${port}/edi.txt`).then(() => true, () => undefined),
    { timeoutMs: 10_000, what: "the certificate port to take the upload" },
  );
  assert.equal(await readFile(join(wharf.dataDir, "files/acme/edi.txt"), "utf8"), "an EDI message\n");
  // Without the certificate, even with acme's right password: 530 (curl's 67); with it, a download the user may not do: 550 (curl's 78).
  await assert.rejects(
    run("curl", ["--silent", "--insecure", "--max-time", "10", "--ssl-reqd", "-u", "acme:acme password 1", `ftp://127.0.0.1:${port}/`]),
    (error: { code?: number }) => error.code === 67,
  );
  await assert.rejects(curl("--cert", edi.certFile, "--key", edi.keyFile, `ftp://127.0.0.1:${port}/edi.txt`), (error: { code?: number }) => error.code === 78);
  const again = await cli("apply", "-f", file);
  assert.match(again.stdout, /user acme: unchanged/);
  assert.match(again.stdout, /port partners-mtls: unchanged/);
});
