import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { waitFor } from "@wharf/testing";
import { startWharf } from "./stack.js";

const run = promisify(execFile);
const launcher = fileURLToPath(new URL("../../../packages/cli/dist/src/main.js", import.meta.url));
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "wharf-launcher-"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function wharfStart(env: NodeJS.ProcessEnv) {
  const clean = { ...process.env, ...env };
  delete clean.NATS_URL;
  delete clean.WHARF_NATS_URL;
  return run(process.execPath, [launcher, "start"], { env: clean, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

test("wharf start - without nats-server on PATH it says how to install it and exits non-zero", async () => {
  // A PATH with openssl (for the first-run certificate) and nothing else.
  const bin = join(dir, "bin");
  await mkdir(bin);
  const openssl = (await run("sh", ["-c", "command -v openssl"])).stdout.trim();
  await symlink(openssl, join(bin, "openssl"));
  const result = await wharfStart({ PATH: bin, WHARF_DATA_DIR: join(dir, "no-nats") });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /nats-server was not found on PATH/);
  assert.match(result.stderr, /apt-get install nats-server/);
});

test("wharf start - bad settings are all named in one message, before anything starts", async () => {
  const data = join(dir, "bad-config");
  const result = await wharfStart({ WHARF_DATA_DIR: data, WHARF_FTP_PORT: "abc", WHARF_FTP_PASSIVE_PORTS: "10-5", WHARF_LOG_LEVEL: "loud" });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /WHARF_FTP_PORT/);
  assert.match(result.stderr, /WHARF_FTP_PASSIVE_PORTS/);
  assert.match(result.stderr, /WHARF_LOG_LEVEL/);
  assert.ok(!(await readdir(data)).includes("nats"), "no nats-server was started");
});

test("wharf - an unknown command prints the usage and exits 2", async () => {
  const result = await run(process.execPath, [launcher, "fly"]).then(
    () => ({ code: 0, stderr: "" }),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(result.code, 2);
  assert.match(String(result.stderr), /unknown command "fly"/);
  assert.match(String(result.stderr), /usage: wharf/);
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("wharf start - if the launcher is killed outright, its services exit too", async () => {
  const wharf = await startWharf();
  const log = wharf.output.join("\n");
  const natsPid = Number(/^\[nats-server\]\s+\[(\d+)\]/m.exec(log)?.[1]);
  const pids = [...log.matchAll(/started (\S+) \(pid (\d+)\)/g)].map((match) => ({ name: match[1], pid: Number(match[2]) }));
  try {
    assert.deepEqual(pids.map((service) => service.name).sort(), ["auth", "listener", "outbound", "storage"]);
    assert.ok(pids.every((service) => alive(service.pid)));
    wharf.process.kill("SIGKILL");
    for (const service of pids) {
      await waitFor(() => (alive(service.pid) ? undefined : true), { timeoutMs: 20_000, what: `${service.name} (pid ${service.pid}) to exit` });
    }
  } finally {
    for (const service of pids) if (alive(service.pid)) process.kill(service.pid, "SIGKILL");
    // nats-server is not ours to watch a pipe: stop the one this launcher started, by its PID.
    if (natsPid > 0) process.kill(natsPid, "SIGTERM");
    await rm(wharf.dataDir, { recursive: true, force: true });
  }
});

test("wharf start - with WHARF_STOP_WITH_STDIN, the launcher stops everything when its supervisor goes (stdin closes)", async () => {
  const wharf = await startWharf();
  const log = wharf.output.join("\n");
  const natsPid = Number(/^\[nats-server\]\s+\[(\d+)\]/m.exec(log)?.[1]);
  const pids = [...log.matchAll(/started (\S+) \(pid (\d+)\)/g)].map((match) => Number(match[2]));
  const launcherPid = wharf.process.pid ?? 0;
  try {
    assert.ok(natsPid > 0 && pids.length === 4 && launcherPid > 0);
    // What a supervisor's death looks like from here: the pipe it held closes.
    wharf.process.stdin?.end();
    for (const pid of [launcherPid, ...pids, natsPid]) {
      await waitFor(() => (alive(pid) ? undefined : true), { timeoutMs: 20_000, what: `pid ${pid} to exit` });
    }
    assert.match(wharf.output.join("\n"), /supervisor gone/);
  } finally {
    for (const pid of [launcherPid, ...pids, natsPid]) if (pid > 0 && alive(pid)) process.kill(pid, "SIGKILL");
    await rm(wharf.dataDir, { recursive: true, force: true });
  }
});
