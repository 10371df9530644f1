/**
 * Issue 9: storage's gRPC on the stack `npm start` runs is mutual TLS with session grants. A client without a
 * certificate, with one from another CA, or with a certificate of Wharf's CA that is not a listener's or
 * outbound's gets nothing; a listener's certificate reads a partner's files only with auth's grant for that
 * partner; outbound's reads them (it delivers any root a pipeline names).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { createStorageClient, GRANT_LIFETIME_MS, grantSigningKey, signGrant, type StorageClient, type StorageTls, WharfError } from "@wharf/contracts";
import { getFreePort, makeTestCertificates, waitFor } from "@wharf/testing";
import { type RunningWharf, startWharf, stopWharf, wharfCli } from "./stack.js";

const run = promisify(execFile);
let wharf: RunningWharf;
let address: string;
let pki: string;
const contents = randomBytes(20_000);
const clients: StorageClient[] = [];

before(async () => {
  wharf = await startWharf();
  pki = join(wharf.dataDir, "pki");
  address = wharf.output.find((line) => line.includes("storage ready"))?.match(/"grpc":"([^"]+)"/)?.[1] ?? "";
  assert.ok(address, "storage said where it listens");
  const file = join(wharf.dataDir, "secret.bin");
  await writeFile(file, contents);
  await run("curl", ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--max-time", "30", "-u", `demo:${wharf.password}`, "-T", file, `ftp://127.0.0.1:${wharf.ftpPort}/secret.bin`]);
});

after(async () => {
  for (const client of clients) client.close();
  await stopWharf(wharf);
});

const files = async (name: string, dir = pki): Promise<StorageTls> => ({
  ca: await readFile(join(pki, "ca.crt")),
  cert: await readFile(join(dir, `${name}.crt`)),
  key: await readFile(join(dir, `${name}.key`)),
});

function client(tls?: StorageTls): StorageClient {
  const made = createStorageClient(address, { unaryDeadlineMs: 5_000, ...(tls ? { tls } : {}) });
  clients.push(made);
  return made;
}

/** Reads demo's file; resolves with its bytes, or the error the call ended with. */
async function readSecret(storage: StorageClient, root = "demo"): Promise<Buffer | WharfError> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of storage.read({ root, path: "/secret.bin" })) chunks.push(chunk);
    return Buffer.concat(chunks);
  } catch (error) {
    return WharfError.from(error);
  }
}

const grantKey = async () => grantSigningKey(await readFile(join(pki, "grant.key"), "utf8"));

test("the stack's storage says it runs with mutual TLS and session grants", () => {
  assert.ok(wharf.output.some((line) => line.includes("storage ready") && line.includes('"mutualTls":true') && line.includes('"grants":true')));
});

test("a gRPC client without a certificate, or with one from another CA, gets nothing", async () => {
  const plain = await readSecret(client());
  assert.ok(plain instanceof WharfError, "plaintext gRPC to a TLS port");
  const other = await makeTestCertificates(join(wharf.dataDir, "other-ca"), { clientCommonName: "wharf-listener" });
  const foreign = await readSecret(client({ ca: await readFile(join(pki, "ca.crt")), cert: Buffer.from(other.clientCert), key: Buffer.from(other.clientKey) }));
  assert.ok(foreign instanceof WharfError, "a certificate Wharf's CA did not sign");
  assert.equal(foreign.code, "WHARF_UNAVAILABLE", "refused at the handshake: no call is made");
});

test("another certificate of Wharf's CA (a second storage's, say) cannot call storage", async () => {
  const issued = await wharfCli(wharf, "certs", "issue", "--dir", pki, "--role", "storage", "--name", "storage-2", "--hosts", "localhost");
  assert.equal(issued.code, 0, issued.stderr);
  // A server certificate (serverAuth only) fails the handshake as a client; were it a client's, its common
  // name would be no caller's role (caller-gate.test.ts).
  const refused = await readSecret(client(await files("storage-2")));
  assert.ok(refused instanceof WharfError, "read the file");
});

test("the listener's certificate reads a partner's file only with auth's grant for that partner, unexpired", async () => {
  const listener = client(await files("listener"));
  const key = await grantKey();
  const forger = generateKeyPairSync("ed25519").privateKey;
  const cases: [string, StorageClient, RegExp][] = [
    ["no grant", listener, /no session grant/],
    ["a grant auth did not sign", listener.withGrant(signGrant(forger, { user: "demo", root: "demo", expiresAt: Date.now() + 60_000 })), /not signed by auth/],
    ["an expired grant", listener.withGrant(signGrant(key, { user: "demo", root: "demo", expiresAt: Date.now() - 1 })), /expired/],
    ["another partner's grant", listener.withGrant(signGrant(key, { user: "mallory", root: "mallory", expiresAt: Date.now() + 60_000 })), /another root/],
  ];
  for (const [what, storage, reason] of cases) {
    const refused = await readSecret(storage);
    assert.ok(refused instanceof WharfError, `${what}: read the file`);
    assert.equal(refused.code, "WHARF_PERMISSION_DENIED", what);
    assert.match(refused.message, reason, what);
  }
  const granted = await readSecret(listener.withGrant(signGrant(key, { user: "demo", root: "demo", expiresAt: Date.now() + GRANT_LIFETIME_MS })));
  assert.deepEqual(granted, contents);
});

test("outbound's certificate reads any root (it delivers what pipelines name)", async () => {
  assert.deepEqual(await readSecret(client(await files("outbound"))), contents);
});

test("a port whose users share one root (userDirectory: false) works with grants on: auth signs the grant for that root", async () => {
  const port = await getFreePort();
  const file = join(wharf.dataDir, "shared.yaml");
  await writeFile(
    file,
    [
      "ports:",
      "  - alias: shared-root",
      `    port: ${port}`,
      "    bindAddress: 127.0.0.1",
      "    userDirectory: false",
      "    defaultRoot: shared",
      "    passive:",
      "      ports: 44000-44099",
      "    tls:",
      `      certFile: ${join(wharf.dataDir, "tls/server.crt")}`,
      `      keyFile: ${join(wharf.dataDir, "tls/server.key")}`,
      "",
    ].join("\n"),
  );
  const applied = await wharfCli(wharf, "apply", "-f", file);
  assert.equal(applied.code, 0, applied.stderr);
  const upload = join(wharf.dataDir, "to-share.bin");
  await writeFile(upload, contents);
  const curl = (...args: string[]) => run("curl", ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--max-time", "10", "-u", `demo:${wharf.password}`, ...args]);
  // The port answers once the listener has it; then a file goes in and is listed, in the shared root.
  await waitFor(() => curl(`ftp://127.0.0.1:${port}/`).then(() => true, () => undefined), { timeoutMs: 10_000, what: "the shared-root port" });
  await curl("-T", upload, `ftp://127.0.0.1:${port}/shared.bin`);
  assert.match((await curl(`ftp://127.0.0.1:${port}/`)).stdout, /shared\.bin/);
  assert.deepEqual(await readShared(), contents, "stored in the shared root");
});

/** The shared root's file, read with outbound's certificate. */
async function readShared(): Promise<Buffer | WharfError> {
  const storage = client(await files("outbound"));
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of storage.read({ root: "shared", path: "/shared.bin" })) chunks.push(chunk);
    return Buffer.concat(chunks);
  } catch (error) {
    return WharfError.from(error);
  }
}
