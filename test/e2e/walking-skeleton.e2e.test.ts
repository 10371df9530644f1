import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { NatsConnection } from "@wharf/bus";
import { streams, subjects } from "@wharf/contracts";
import { runPython, streamMessages, waitFor } from "@wharf/testing";
import { connectAsAdmin, type RunningWharf, startWharf, stopWharf } from "./stack.js";

const run = promisify(execFile);
const FIVE_MIB = 5 * 1024 * 1024;

let wharf: RunningWharf;
let nc: NatsConnection;
let original: Buffer;
let sourceFile: string;

before(async () => {
  wharf = await startWharf();
  nc = await connectAsAdmin(wharf, "e2e");
  original = randomBytes(FIVE_MIB);
  sourceFile = join(wharf.dataDir, "source.bin");
  await writeFile(sourceFile, original);
});

after(async () => {
  await nc?.close();
  await stopWharf(wharf);
});

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const url = (path = "") => `ftp://127.0.0.1:${wharf.ftpPort}/${path}`;
const curl = (...args: string[]) => run("curl", ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--max-time", "60", ...args], { maxBuffer: 64 * 1024 * 1024, encoding: "buffer" });
const eventsFor = async (path: string) =>
  (await streamMessages(nc, streams.events.name, subjects.fileStored)).map((message) => message.body).filter((body) => body.path === path);

describe("first run", () => {
  test("the demo password is printed once and saved with mode 0600", async () => {
    const file = join(wharf.dataDir, "demo-credentials.txt");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.ok(wharf.output.some((line) => line.includes(wharf.password)), "the launcher printed the password");
  });
});

describe("curl (explicit FTPS, --ssl-reqd)", () => {
  test("uploads 5 MiB, lists it, downloads the same bytes", async () => {
    await curl("-u", `demo:${wharf.password}`, "-T", sourceFile, url("curl.bin"));
    const listing = (await curl("-u", `demo:${wharf.password}`, url())).stdout.toString();
    assert.match(listing, new RegExp(`^-rw-r--r-- .* ${FIVE_MIB} .* curl\\.bin\\r?$`, "m"));
    const { stdout } = await curl("-u", `demo:${wharf.password}`, url("curl.bin"));
    assert.equal(stdout.length, FIVE_MIB);
    assert.ok(stdout.equals(original));
  });

  test("its file.stored event is on the stream exactly once, with the right checksum", async () => {
    const events = await eventsFor("/curl.bin");
    assert.equal(events.length, 1);
    assert.equal(events[0]?.sha256, sha256(original));
    assert.equal(events[0]?.size, FIVE_MIB);
    assert.equal(events[0]?.user, "demo");
  });

  test("with TLS 1.2 (resuming by session ID) it uploads and downloads the same bytes", async () => {
    await curl("--tls-max", "1.2", "-u", `demo:${wharf.password}`, "-T", sourceFile, url("curl12.bin"));
    const { stdout } = await curl("--tls-max", "1.2", "-u", `demo:${wharf.password}`, url("curl12.bin"));
    assert.ok(stdout.equals(original));
  });

  test("a wrong password gets 530", async () => {
    await assert.rejects(curl("-u", "demo:wrong-password", url()), (error: { code?: number; stderr?: Buffer }) => {
      assert.equal(error.code, 67); // curl: "the user name, password, or similar was not accepted"
      assert.match(String(error.stderr), /530/);
      return true;
    });
  });
});

describe("Python ftplib.FTP_TLS with prot_p()", () => {
  test("uploads 5 MiB, lists it, downloads the same bytes, one event", async () => {
    const out = join(wharf.dataDir, "ftplib-back.bin");
    const result = JSON.parse(await runPython("ftplib_client.py", ["roundtrip", "127.0.0.1", String(wharf.ftpPort), "demo", wharf.password, sourceFile, "ftplib.bin", out]));
    assert.match(result.stor, /^226/);
    assert.ok(result.nlst.includes("ftplib.bin"));
    assert.match(result.retr, /^226/);
    assert.ok((await readFile(out)).equals(original));
    const events = await eventsFor("/ftplib.bin");
    assert.equal(events.length, 1);
    assert.equal(events[0]?.sha256, sha256(original));
  });

  test("an upload cut off halfway leaves no file and no event", async () => {
    const result = JSON.parse(await runPython("ftplib_client.py", ["cut", "127.0.0.1", String(wharf.ftpPort), "demo", wharf.password, sourceFile, "cut.bin", String(FIVE_MIB / 2)]));
    assert.match(result.reply, /^426/);
    assert.ok(!result.nlst.includes("cut.bin"));
    assert.deepEqual(await eventsFor("/cut.bin"), []);
  });

  test("a wrong password gets 530", async () => {
    const result = JSON.parse(await runPython("ftplib_client.py", ["login", "127.0.0.1", String(wharf.ftpPort), "demo", "nope"]));
    assert.match(result.error, /^530/);
  });

  test("stock FTP_TLS, which never resumes the TLS session on data connections, is refused with 522 (as vsftpd does) and its session goes on", async () => {
    const result = JSON.parse(await runPython("ftplib_client.py", ["stock", "127.0.0.1", String(wharf.ftpPort), "demo", wharf.password, sourceFile, "stock.bin"]));
    assert.match(result.stor, /^522/);
    assert.match(result.noop, /^200/);
    assert.deepEqual(await eventsFor("/stock.bin"), []);
  });
});

describe("lftp (GnuTLS, ssl-force, ssl-protect-data)", () => {
  test("uploads, lists and downloads the same bytes", async () => {
    const back = join(wharf.dataDir, "lftp-back.bin");
    const script = [
      "set ftp:ssl-force true",
      "set ftp:ssl-protect-data true",
      "set ssl:verify-certificate no",
      "set net:max-retries 1",
      `put ${sourceFile} -o lftp.bin`,
      "cls -l",
      `get lftp.bin -o ${back}`,
      "bye",
    ].join("; ");
    const { stdout } = await run("lftp", ["-u", `demo,${wharf.password}`, "-e", script, `ftp://127.0.0.1:${wharf.ftpPort}`], { timeout: 60_000 });
    assert.match(stdout, /lftp\.bin/);
    assert.ok((await readFile(back)).equals(original));
    assert.equal((await eventsFor("/lftp.bin")).length, 1);
  });
});

describe("every service", () => {
  for (const service of ["listener", "auth", "storage", "outbound"] as const) {
    test(`${service} answers /healthz, /readyz and /metrics`, async () => {
      const port = wharf.metricsPorts[service];
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /^process_cpu_seconds_total\{service="[a-z-]+"\} /m);
      assert.match(metrics, /^# TYPE wharf_\w+ (counter|gauge)$/m);
    });
  }

  test("the listener counted the transfers", async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${wharf.metricsPorts.listener}/metrics`)).text();
    assert.match(metrics, /^wharf_ftp_transfers_total\{[^}]*direction="upload"[^}]*outcome="ok"[^}]*\} [4-9]/m);
    assert.match(metrics, /^wharf_ftp_transfers_total\{[^}]*direction="upload"[^}]*outcome="aborted"[^}]*\} [1-9]/m);
    assert.match(metrics, /^wharf_ftp_logins_total\{[^}]*result="refused"[^}]*\} [1-9]/m);
    assert.match(metrics, /^wharf_ftp_data_tls_total\{[^}]*resumed="true"[^}]*outcome="accepted"[^}]*\} [1-9]/m);
    assert.match(metrics, /^wharf_ftp_data_tls_total\{[^}]*resumed="false"[^}]*outcome="refused"[^}]*\} [1-9]/m);
  });

  test("outbound received the stored files' events", async () => {
    // Delivery to the durable consumer is asynchronous: wait (bounded) until both events were handled.
    await waitFor(
      async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${wharf.metricsPorts.outbound}/metrics`)).text();
        // No pipeline is configured here: outbound handles each event and finds nothing to deliver.
        return /^wharf_outbound_events_total\{[^}]*outcome="no_pipeline"[^}]*\} [2-9]/m.test(metrics) || undefined;
      },
      { what: "outbound to count two received events" },
    );
  });
});
