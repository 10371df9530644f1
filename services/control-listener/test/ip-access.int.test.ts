import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RawFtpControl } from "@wharf/testing";
import { type ListenerStack, startListenerStack } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack({ ipAccess: { mode: "deny", allow: ["127.0.0.1"], deny: ["127.0.0.3"] } });
});
after(() => stack.stop());

test("ip access - in deny mode only the allow list gets a greeting; others are closed without a word", async () => {
  const allowed = await RawFtpControl.connect(stack.port);
  assert.equal((await allowed.read()).code, 220);
  allowed.close();
  for (const localAddress of ["127.0.0.2", "127.0.0.3"]) {
    const refused = await RawFtpControl.connect(stack.port, { localAddress });
    await refused.closed();
    await assert.rejects(refused.read(100));
  }
  const metrics = await stack.registry.getSingleMetricAsString("wharf_ftp_sessions_refused_total");
  assert.match(metrics, /reason="ip_access"[^\n]* 2$/m);
});
