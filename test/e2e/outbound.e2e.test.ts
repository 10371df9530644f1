/**
 * The whole path with Wharf's own listener as the partner (issue 6): a file a
 * partner uploads with curl into /outbox is stored, announced, and pushed by
 * outbound over explicit FTPS (certificate pinned) to the same Wharf's
 * /inbox, where curl fetches it back byte for byte; `wharf endpoints
 * validate` approves the endpoint first.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { connectBus } from "@wharf/bus";
import { streams, subjects } from "@wharf/contracts";
import { createLogger } from "@wharf/telemetry";
import { streamMessages, waitFor } from "@wharf/testing";
import { type RunningWharf, startWharf, stopWharf, wharfCli } from "./stack.js";

const run = promisify(execFile);
let wharf: RunningWharf;

before(async () => {
  wharf = await startWharf();
});
after(() => stopWharf(wharf));

/** A CLI command that must succeed. */
const cli = async (...args: string[]) => {
  const { code, stdout, stderr } = await wharfCli(wharf.natsUrl, ...args);
  assert.equal(code, 0, `wharf ${args.join(" ")} failed:\n${stderr}`);
  return { stdout };
};
const curl = (...args: string[]) =>
  run("curl", ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--max-time", "60", "-u", `demo:${wharf.password}`, ...args], { maxBuffer: 16 * 1024 * 1024, encoding: "buffer" });

test("a file uploaded to /outbox is pushed by outbound over FTPS to Wharf's own /inbox, byte for byte", async () => {
  const passwordFile = join(wharf.dataDir, "self-password");
  await writeFile(passwordFile, `${wharf.password}\n`, { mode: 0o600 });
  const fingerprint = new X509Certificate(await readFile(join(wharf.dataDir, "tls/server.crt"))).fingerprint256;
  const config = join(wharf.dataDir, "outbound.yaml");
  await writeFile(
    config,
    [
      "endpoints:",
      "  - name: self",
      "    host: 127.0.0.1",
      `    port: ${wharf.ftpPort}`,
      "    user: demo",
      `    password: { file: ${passwordFile} }`,
      `    trust: { fingerprint: "${fingerprint}" }`,
      "    remoteFolder: /inbox",
      "pipelines:",
      "  - name: loop",
      "    source: { folder: /outbox }",
      "    target: self",
      "",
    ].join("\n"),
  );
  const applied = (await cli("apply", "-f", config)).stdout;
  assert.match(applied, /^endpoint self: created$/m);
  assert.match(applied, /^pipeline loop: created$/m);
  // Applying an endpoint tries it once.
  assert.match(applied, /^endpoint self: reachable, deliveries can work$/m);
  const validated = (await cli("endpoints", "validate", "self")).stdout;
  assert.match(validated, /^ok {3}trust: matches the pinned fingerprint$/m);
  assert.match(validated, /^self: deliveries can work$/m);
  const bytes = randomBytes(2 * 1024 * 1024 + 3);
  const source = join(wharf.dataDir, "outgoing.bin");
  await writeFile(source, bytes);
  await curl("--ftp-create-dirs", "-T", source, `ftp://127.0.0.1:${wharf.ftpPort}/outbox/outgoing.bin`);
  const delivered = await waitFor(
    () =>
      curl(`ftp://127.0.0.1:${wharf.ftpPort}/inbox/outgoing.bin`).then(
        ({ stdout }) => stdout,
        () => undefined,
      ),
    { timeoutMs: 30_000, intervalMs: 200, what: "the pushed file in /inbox" },
  );
  assert.ok(delivered.equals(bytes), `${delivered.length} bytes`);
  const metrics = await (await fetch(`http://127.0.0.1:${wharf.metricsPorts.outbound}/metrics`)).text();
  assert.match(metrics, /^wharf_outbound_deliveries_total\{[^}]*pipeline="loop"[^}]*result="delivered"[^}]*\} 1$/m);
  // Wharf offers HASH: the partner's SHA-256 of the delivered file was compared with the stored one.
  const nc = await connectBus({ url: wharf.natsUrl, name: "e2e-outbound" }, createLogger({ service: "e2e", level: "silent" }));
  try {
    const completed = (await streamMessages(nc, streams.events.name, subjects.transferCompleted)).map((message) => message.body);
    assert.deepEqual(
      completed.map((body) => [body.pipeline, body.path, body.remotePath, body.verified]),
      [["loop", "/outbox/outgoing.bin", "/inbox/outgoing.bin", "sha256"]],
    );
  } finally {
    await nc.close();
  }
});
