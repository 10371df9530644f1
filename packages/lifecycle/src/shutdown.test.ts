import assert from "node:assert/strict";
import { test } from "node:test";
import { runShutdown, type ShutdownLogger } from "./shutdown.js";

interface Entry {
  level: "info" | "error";
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that only records what it was told. */
function recordingLogger(): ShutdownLogger & { entries: Entry[] } {
  const entries: Entry[] = [];
  return {
    entries,
    info: (obj, msg) => entries.push({ level: "info", obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => entries.push({ level: "error", obj: obj as Record<string, unknown>, msg }),
  };
}

test("shutdown - steps run in order, sync and async alike, and a clean run returns true", async () => {
  const log = recordingLogger();
  const ran: string[] = [];
  const clean = await runShutdown(
    [
      ["stop listening", () => ran.push("listen")],
      [
        "drain bus",
        async () => {
          await Promise.resolve();
          ran.push("bus");
        },
      ],
      ["flush traces", () => ran.push("traces")],
    ],
    { log, graceMs: 5_000 },
  );
  assert.equal(clean, true);
  assert.deepEqual(ran, ["listen", "bus", "traces"]);
  assert.deepEqual(log.entries.map((e) => [e.level, e.obj.step, e.msg]), [
    ["info", "stop listening", "shutdown step done"],
    ["info", "drain bus", "shutdown step done"],
    ["info", "flush traces", "shutdown step done"],
  ]);
  for (const entry of log.entries) assert.equal(typeof entry.obj.ms, "number");
});

test("shutdown - a failing step is logged with its error and the next still runs", async () => {
  const log = recordingLogger();
  const boom = new Error("bus already closed");
  const ran: string[] = [];
  const clean = await runShutdown(
    [
      [
        "throws",
        () => {
          throw boom;
        },
      ],
      ["rejects", () => Promise.reject(new Error("late"))],
      ["last", () => ran.push("last")],
    ],
    { log, graceMs: 5_000 },
  );
  assert.equal(clean, false);
  assert.deepEqual(ran, ["last"]);
  const errors = log.entries.filter((e) => e.level === "error");
  assert.deepEqual(errors.map((e) => [e.obj.step, e.msg]), [
    ["throws", "shutdown step failed"],
    ["rejects", "shutdown step failed"],
  ]);
  assert.equal(errors[0]?.obj.err, boom);
});

test("shutdown - the grace period stops a step that never finishes", { timeout: 5_000 }, async () => {
  const log = recordingLogger();
  const ran: string[] = [];
  const started = Date.now();
  const clean = await runShutdown(
    [
      ["hangs", () => new Promise(() => undefined)],
      ["after", () => ran.push("after")],
    ],
    { log, graceMs: 50 },
  );
  assert.equal(clean, false);
  assert.ok(Date.now() - started < 2_000, "returns once the grace period is over, not when the step ends");
  assert.deepEqual(ran, [], "nothing runs once the grace period is over");
  assert.deepEqual(log.entries.map((e) => [e.level, e.obj.step, e.msg]), [["error", "hangs", "shutdown step did not finish in the grace period"]]);
});

test("shutdown - with no grace left, no step runs", async () => {
  const log = recordingLogger();
  let ran = false;
  const clean = await runShutdown(
    [
      [
        "first",
        () => {
          ran = true;
        },
      ],
    ],
    { log, graceMs: 0 },
  );
  assert.equal(clean, false);
  assert.equal(ran, false);
  assert.equal(log.entries[0]?.msg, "shutdown grace period over; skipping the remaining steps");
});

test("shutdown - no steps is a clean shutdown", async () => {
  const log = recordingLogger();
  assert.equal(await runShutdown([], { log, graceMs: 50 }), true);
  assert.deepEqual(log.entries, []);
});
