import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { EndpointConfig } from "@wharf/contracts";
import type { Client } from "basic-ftp";
import { createSessionPool } from "./session-pool.js";

/** A stand-in for basic-ftp's client: answers NOOP unless the partner "closed" it. */
class FakeClient {
  closed = false;
  noops = 0;
  constructor(readonly id: number) {}
  async send(command: string) {
    assert.equal(command, "NOOP");
    this.noops++;
    if (this.closed) throw new Error("Client is closed");
    return { code: 200, message: "200 NOOP ok" };
  }
  close() {
    this.closed = true;
  }
}

function poolWithFakes(idleMs = 30_000) {
  const opened: FakeClient[] = [];
  const counts: string[] = [];
  const pool = createSessionPool({
    log: { warn: () => undefined },
    counts: { inc: ({ result }) => counts.push(result) },
    idleMs,
    open: async () => {
      const client = new FakeClient(opened.length + 1);
      opened.push(client);
      return { client: client as unknown as Client, tlsVersion: "TLSv1.3" };
    },
  });
  return { pool, opened, counts };
}

const endpoint = (extra: Record<string, unknown> = {}) =>
  EndpointConfig.parse({ name: "acme", host: "127.0.0.1", port: 2121, user: "u", trust: { insecure: true }, maxConnections: 2, ...extra });

test("a session given back after a delivery that went well serves the next one; one given back after a failure is closed", async () => {
  const { pool, opened, counts } = poolWithFakes();
  const first = await pool.acquire(endpoint());
  assert.equal(first.reused, false);
  pool.release(endpoint(), first, true);
  const second = await pool.acquire(endpoint());
  assert.equal(second.reused, true);
  assert.equal(second.client, first.client);
  pool.release(endpoint(), second, false);
  assert.equal(opened[0]?.closed, true);
  const third = await pool.acquire(endpoint());
  assert.equal(third.reused, false);
  assert.deepEqual(counts, ["opened", "reused", "opened"]);
  pool.close();
});

test("an idle session the partner closed is not used: a new one is opened", async () => {
  const { pool, opened, counts } = poolWithFakes();
  pool.release(endpoint(), await pool.acquire(endpoint()), true);
  opened[0]?.close(); // the partner's idle timeout
  const next = await pool.acquire(endpoint());
  assert.equal(next.reused, false);
  assert.equal(opened.length, 2);
  assert.deepEqual(counts, ["opened", "stale", "opened"]);
  pool.close();
});

test("at most maxConnections sessions wait idle per endpoint; the rest are closed", async () => {
  const { pool, opened } = poolWithFakes();
  const sessions = await Promise.all([1, 2, 3].map(() => pool.acquire(endpoint())));
  for (const session of sessions) pool.release(endpoint(), session, true);
  assert.deepEqual(
    opened.map((client) => client.closed),
    [false, false, true],
  );
  pool.close();
  assert.ok(opened.every((client) => client.closed), "close() closes the idle ones");
});

test("a changed endpoint gets new sessions: the idle ones of its old settings are closed", async () => {
  const { pool, opened } = poolWithFakes();
  pool.release(endpoint(), await pool.acquire(endpoint()), true);
  const changed = endpoint({ port: 2222 });
  const next = await pool.acquire(changed);
  assert.equal(next.reused, false);
  assert.equal(opened[0]?.closed, true);
  pool.close();
});

test("an idle session is closed after idleMs; with idleMs 0 none is kept", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { pool, opened } = poolWithFakes(1_000);
    pool.release(endpoint(), await pool.acquire(endpoint()), true);
    mock.timers.tick(999);
    assert.equal(opened[0]?.closed, false);
    mock.timers.tick(1);
    assert.equal(opened[0]?.closed, true);
    assert.equal((await pool.acquire(endpoint())).reused, false);
    const none = poolWithFakes(0);
    none.pool.release(endpoint(), await none.pool.acquire(endpoint()), true);
    assert.equal(none.opened[0]?.closed, true);
  } finally {
    mock.timers.reset();
  }
});
