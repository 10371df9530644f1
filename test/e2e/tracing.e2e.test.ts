/**
 * Issue 7: one trace per file. Wharf runs as `npm start` runs it, exporting
 * spans over OTLP/HTTP (the standard OTEL_* variables) to a receiver the test
 * starts. A partner's upload to /outbox is pushed by a pipeline; the file's
 * trace runs from the partner's STOR (listener) through storage's commit and
 * file.stored to outbound's push, and links to the login's trace, where auth
 * answered.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { type OtlpReceiver, startOtlpReceiver, waitFor } from "@wharf/testing";
import { type RunningWharf, startWharf, stopWharf, wharfCli, writeLoopbackConfig } from "./stack.js";

const run = promisify(execFile);
let receiver: OtlpReceiver;
let wharf: RunningWharf;

before(async () => {
  receiver = await startOtlpReceiver();
  // Spans leave each service within 100 ms instead of the batch processor's default 5 s.
  wharf = await startWharf({ extraEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "100" } });
});
after(async () => {
  await stopWharf(wharf);
  await receiver?.stop();
});

test("one upload makes one trace from the partner's STOR to outbound's push, across listener, storage and outbound, linked to auth's login", async () => {
  const applied = await wharfCli(wharf, "apply", "-f", await writeLoopbackConfig(wharf));
  assert.equal(applied.code, 0, applied.stderr);
  const source = join(wharf.dataDir, "traced.bin");
  await writeFile(source, randomBytes(64 * 1024));
  await run("curl", ["--silent", "--show-error", "--ssl-reqd", "--insecure", "--ftp-create-dirs", "-u", `demo:${wharf.password}`, "-T", source, `ftp://127.0.0.1:${wharf.ftpPort}/outbox/traced.bin`]);
  // The push's span ends once the partner (here Wharf itself) answered the rename.
  const push = await waitFor(() => receiver.spans.find((span) => span.name === "ftp push loop" && span.attributes["wharf.remote_path"] === "/inbox/traced.bin"), {
    timeoutMs: 30_000,
    what: "outbound's push span",
  });
  const trace = () => receiver.spans.filter((span) => span.traceId === push.traceId);
  const stor = await waitFor(() => trace().find((span) => span.name === "ftp STOR" && span.service === "wharf-control-listener"), { what: "the STOR span in the push's trace" });
  assert.equal(stor.parentSpanId, undefined, "the partner's STOR starts the trace");
  await waitFor(() => (trace().some((span) => span.service === "wharf-storage") ? true : undefined), { what: "storage's span in the trace" });
  const services = new Set(trace().map((span) => span.service));
  assert.deepEqual([...services].sort(), ["wharf-control-listener", "wharf-outbound", "wharf-storage"]);
  // Every span of the trace hangs from another one in it, up to the STOR: one tree, not pieces.
  const ids = new Set(trace().map((span) => span.spanId));
  for (const span of trace()) if (span !== stor) assert.ok(span.parentSpanId && ids.has(span.parentSpanId), `${span.service} ${span.name} has its parent in the trace`);
  assert.match(String(push.attributes["ftp.reply"]), /^250 /, "the partner's answer to the rename");
  // The transfer's log lines carry the trace id, so a log panel can jump to the trace.
  const logged = (service: string, message: string) =>
    wharf.output
      .filter((line) => line.startsWith(`[${service}]`) && line.includes(`"msg":"${message}"`) && line.includes("/outbox/traced.bin"))
      .map((line) => JSON.parse(line.slice(line.indexOf("{"))) as { traceId?: string });
  await waitFor(() => (logged("outbound", "file delivered").length > 0 ? true : undefined), { what: "outbound's delivery line" });
  assert.deepEqual(logged("listener", "transfer complete").map((line) => line.traceId), [push.traceId]);
  assert.deepEqual(logged("outbound", "file delivered").map((line) => line.traceId), [push.traceId]);
  // The login: the STOR links to the PASS command's span, whose trace holds auth's answer.
  const login = stor.links[0];
  assert.ok(login, "the STOR links to the login");
  const loginTrace = await waitFor(
    () => {
      const spans = receiver.spans.filter((span) => span.traceId === login.traceId);
      return spans.some((span) => span.service === "wharf-auth") ? spans : undefined;
    },
    { what: "auth's span in the login's trace" },
  );
  assert.ok(loginTrace.some((span) => span.spanId === login.spanId && span.name === "ftp PASS"));
  assert.ok(loginTrace.some((span) => span.service === "wharf-auth" && span.name === "process wharf.auth.v1.login"));
});
