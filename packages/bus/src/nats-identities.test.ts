import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { natsIdentities } from "@wharf/contracts";
import { seedFileOf, writeNatsAuthorization } from "./nats-identities.js";

const run = promisify(execFile);

test("wharf nats init's files: a seed per identity (0600, kept on a second run), and an authorization block nats-server accepts", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wharf-ids-"));
  try {
    const file = await writeNatsAuthorization(dir);
    const seeds = await Promise.all(natsIdentities.map((identity) => readFile(seedFileOf(dir, identity), "utf8")));
    for (const seed of seeds) assert.match(seed, /^SU[A-Z2-7]{56}\n$/);
    for (const identity of natsIdentities) assert.equal((await stat(seedFileOf(dir, identity))).mode & 0o777, 0o600);
    const block = await readFile(file, "utf8");
    // Public keys only: no seed is written where the server (or its operator) reads.
    for (const seed of seeds) assert.ok(!block.includes(seed.trim()));
    assert.equal((block.match(/nkey: "U[A-Z2-7]{55}"/g) ?? []).length, natsIdentities.length);
    const { stderr, stdout } = await run("nats-server", ["-t", "-c", file]);
    assert.match(stdout + stderr, /is valid/);
    await writeNatsAuthorization(dir);
    assert.deepEqual(await Promise.all(natsIdentities.map((identity) => readFile(seedFileOf(dir, identity), "utf8"))), seeds);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
