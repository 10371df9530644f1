/**
 * The interop matrix: real clients (curl, lftp, Python ftplib, basic-ftp) ×
 * port modes (explicit FTPS, implicit FTPS, plain FTP) × mkdir, upload, list,
 * download, rename, resume and delete, every file checked byte for byte on disk.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { Client } from "basic-ftp";
import { runPython } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER } from "./harness.js";

const run = promisify(execFile);
type Mode = "explicit" | "implicit" | "none";
const MODES: Mode[] = ["explicit", "implicit", "none"];
const A = randomBytes(200 * 1024);
const C = randomBytes(300 * 1024);
const C_KEPT = 100 * 1024;

const stacks = new Map<Mode, ListenerStack>();
before(async () => {
  for (const mode of MODES) {
    stacks.set(mode, await startListenerStack(mode === "none" ? { tlsMode: "none", secureClientsOnly: false, requireProtectedData: false } : { tlsMode: mode }));
  }
});
after(async () => {
  for (const stack of stacks.values()) await stack.stop();
});

/** Local files for a client, and the checks on what it left in storage. */
async function prepare(stack: ListenerStack, folder: string) {
  const work = join(stack.dataDir, `work-${folder}`);
  await mkdir(work, { recursive: true });
  const files = { a: join(work, "a.bin"), c: join(work, "c.bin"), cResume: join(work, "c-resume.bin"), out: join(work, "out.bin") };
  await writeFile(files.a, A);
  await writeFile(files.c, C);
  // What a resuming client is given: C with its first part blanked. Only a real resume (sending the
  // bytes after the kept part) ends with C on disk; uploading the whole file again would store the blanks.
  await writeFile(files.cResume, Buffer.concat([Buffer.alloc(C_KEPT), C.subarray(C_KEPT)]));
  const disk = (name: string) => join(stack.dataDir, "storage/files", USER, folder, name);
  return {
    files,
    /** The partial upload a broken transfer left: the first part of C, in place before the client resumes. */
    placePartial: () => writeFile(disk("c.bin"), C.subarray(0, C_KEPT)),
    check: async () => {
      await assert.rejects(stat(disk("a.bin")), { code: "ENOENT" }, "a.bin was renamed");
      await assert.rejects(stat(disk("b.bin")), { code: "ENOENT" }, "b.bin was deleted");
      assert.ok((await readFile(disk("c.bin"))).equals(C), "the resumed c.bin is C, byte for byte");
      assert.ok((await readFile(files.out)).equals(A), "the download is A, byte for byte");
    },
  };
}

const curlScheme = (mode: Mode) => (mode === "implicit" ? "ftps" : "ftp");
const curlTls = (mode: Mode) => (mode === "explicit" ? ["--ssl-reqd"] : []);

describe("interop matrix", () => {
  for (const mode of MODES) {
    test(`curl × ${mode}`, async () => {
      const stack = stacks.get(mode) as ListenerStack;
      const folder = `curl-${mode}`;
      const { files, placePartial, check } = await prepare(stack, folder);
      const base = `${curlScheme(mode)}://127.0.0.1:${stack.port}`;
      const curl = (...args: string[]) => run("curl", ["--silent", "--show-error", "--insecure", "--max-time", "30", ...curlTls(mode), "-u", `${USER}:${PASSWORD}`, ...args]);
      await curl("-T", files.a, "--ftp-create-dirs", `${base}/${folder}/a.bin`);
      const { stdout: listing } = await curl(`${base}/${folder}/`);
      assert.match(listing, /a\.bin/);
      await curl("-o", files.out, `${base}/${folder}/a.bin`);
      await curl("-Q", `RNFR ${folder}/a.bin`, "-Q", `RNTO ${folder}/b.bin`, `${base}/`);
      await placePartial();
      await curl("-C", "-", "-T", files.cResume, `${base}/${folder}/c.bin`);
      await curl("-Q", `DELE ${folder}/b.bin`, `${base}/`);
      await check();
    });

    test(`lftp × ${mode}`, async () => {
      const stack = stacks.get(mode) as ListenerStack;
      const folder = `lftp-${mode}`;
      const { files, placePartial, check } = await prepare(stack, folder);
      const tls =
        mode === "explicit"
          ? "set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:verify-certificate no"
          : mode === "implicit"
            ? "set ftp:ssl-protect-data true; set ssl:verify-certificate no"
            : "set ftp:ssl-allow false";
      const lftp = (commands: string) =>
        run("lftp", ["-u", `${USER},${PASSWORD}`, "-e", `${tls}; set net:max-retries 1; ${commands}; bye`, `${curlScheme(mode)}://127.0.0.1:${stack.port}`], { timeout: 60_000 });
      const { stdout } = await lftp(`mkdir ${folder}; put ${files.a} -o ${folder}/a.bin; cls ${folder}; get ${folder}/a.bin -o ${files.out}; mv ${folder}/a.bin ${folder}/b.bin`);
      assert.match(stdout, /a\.bin/);
      await placePartial();
      await lftp(`put -c ${files.cResume} -o ${folder}/c.bin; rm ${folder}/b.bin`);
      await check();
    });

    test(`basic-ftp × ${mode}`, async () => {
      const stack = stacks.get(mode) as ListenerStack;
      const folder = `basic-${mode}`;
      const { placePartial, check, files } = await prepare(stack, folder);
      const client = new Client(10_000);
      try {
        const secure = mode === "none" ? false : mode === "implicit" ? "implicit" : true;
        await client.access({ host: "127.0.0.1", port: stack.port, user: USER, password: PASSWORD, secure, secureOptions: { rejectUnauthorized: false } });
        await client.send(`MKD ${folder}`);
        await client.uploadFrom(Readable.from([A]), `${folder}/a.bin`);
        assert.ok((await client.list(folder)).some((entry) => entry.name === "a.bin" && entry.size === A.length));
        const chunks: Buffer[] = [];
        const sink = new PassThrough();
        sink.on("data", (chunk: Buffer) => chunks.push(chunk));
        await client.downloadTo(sink, `${folder}/a.bin`);
        await writeFile(files.out, Buffer.concat(chunks));
        await client.rename(`${folder}/a.bin`, `${folder}/b.bin`);
        await placePartial();
        await client.appendFrom(Readable.from([C.subarray(C_KEPT)]), `${folder}/c.bin`);
        await client.remove(`${folder}/b.bin`);
      } finally {
        client.close();
      }
      await check();
    });

    // Python's ftplib has no implicit FTPS: it is matched against explicit and plain ports only.
    if (mode !== "implicit") {
      test(`ftplib × ${mode}`, async () => {
        const stack = stacks.get(mode) as ListenerStack;
        const folder = `ftplib-${mode}`;
        const { files, check } = await prepare(stack, folder);
        // ftplib uploads the first part of C itself, then resumes with REST + STOR.
        const script = ["127.0.0.1", String(stack.port), USER, PASSWORD, mode === "none" ? "plain" : "explicit", folder, files.a, files.c, String(C_KEPT), files.out];
        const result = JSON.parse(await runPython("ftplib_interop.py", script, { timeoutMs: 60_000 }));
        assert.ok(result.nlst.some((name: string) => name.endsWith("a.bin")));
        await check();
      });
    }
  }
});
