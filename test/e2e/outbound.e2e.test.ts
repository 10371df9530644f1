/**
 * The whole path with Wharf's own listener as the partner (issue 6): a file a
 * partner uploads with curl into /outbox is stored, announced, and pushed by
 * outbound over explicit FTPS (certificate pinned) to the same Wharf's
 * /inbox, where curl fetches it back byte for byte; `wharf endpoints
 * validate` approves the endpoint first.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes, } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { streams, subjects } from "@wharf/contracts";
import { streamMessages, waitFor } from "@wharf/testing";
import { connectAsAdmin, type RunningWharf, startWharf, stopWharf, wharfCli, writeLoopbackConfig } from "./stack.js";

const run = promisify(execFile);
let wharf: RunningWharf;

before(async () => {
  wharf = await startWharf();
});
after(() => stopWharf(wharf));

/** A CLI command that must succeed. */
const cli = async (...args: string[]) => {
  const { code, stdout, stderr } = await wharfCli(wharf, ...args);
  assert.equal(code, 0, `wharf ${args.join(" ")} failed:\n${stderr}`);
  return { stdout };
};
const curl = (...args: string[]) =>
  run("curl", ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--max-time", "60", "-u", `demo:${wharf.password}`, ...args], { maxBuffer: 16 * 1024 * 1024, encoding: "buffer" });

test("a file uploaded to /outbox is pushed by outbound over FTPS to Wharf's own /inbox, byte for byte", async () => {
  const config = await writeLoopbackConfig(wharf);
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
  const nc = await connectAsAdmin(wharf, "e2e-outbound");
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

test("wharf transfers ls and show: the pushed file's whole history, from the partner's upload to the push's answer", async () => {
  const listed = (await cli("transfers", "ls", "--user", "demo")).stdout.trim().split("\n");
  assert.equal(listed[0], "STORED AT\tID\tUSER\tPORT\tFILE\tSIZE\tSHA-256\tSTATUS\tDELIVERIES");
  // The upload to /outbox, pushed; and the copy the push made in /inbox, which no pipeline takes. The push
  // stored it under its temporary name, then renamed it: the event names what was stored.
  const outgoing = listed.find((line) => line.includes("\tdemo:/outbox/outgoing.bin\t"));
  const copy = listed.find((line) => line.includes("\tdemo:/inbox/.outgoing.bin."));
  assert.match(outgoing ?? "", /^\S+\t\S+\tdemo\tftps\tdemo:\/outbox\/outgoing\.bin\t2097155\t[0-9a-f]{12}…\tdelivered\tloop→self: completed \/inbox\/outgoing\.bin \(1 try\)$/);
  assert.match(copy ?? "", /\tstored\t-$/);
  const delivered = (await cli("transfers", "ls", "--status", "delivered")).stdout.trim().split("\n");
  assert.deepEqual(delivered.slice(1).map((line) => line.split("\t")[4]), ["demo:/outbox/outgoing.bin"]);
  assert.equal((await cli("transfers", "ls", "--user", "nobody-else")).stdout.trim().split("\n").length, 1, "the header only");
  const id = (outgoing ?? "").split("\t")[1] as string;
  const shown = (await cli("transfers", "show", id)).stdout;
  assert.match(shown, /^file {7}demo:\/outbox\/outgoing\.bin$/m);
  assert.match(shown, /^sent by {4}demo \(port ftps, session \S+\)$/m);
  assert.match(shown, /^sha-256 {4}[0-9a-f]{64}$/m);
  assert.match(shown, /^status {5}delivered$/m);
  assert.match(shown, /^ {2}\S+ {2}loop → self {2}try 1 started$/m);
  assert.match(shown, /^ {2}\S+ {2}loop → self {2}try 1 completed: \/inbox\/outgoing\.bin, 250 .*, verified sha256, TLSv1\.[23], new session, \d+ ms$/m);
  // Bad input is named; an unknown id says where it looked.
  const badSince = await wharfCli(wharf, "transfers", "ls", "--since", "yesterday");
  assert.equal(badSince.code, 2);
  assert.match(badSince.stderr, /--since yesterday: not a time/);
  const unknown = await wharfCli(wharf, "transfers", "show", "no-such-id");
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no stored file with id no-such-id in the event stream/);
});
