import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RawFtpControl } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack();
});
after(() => stack.stop());

test("storage outage - file commands answer 451 and the session stays usable", async () => {
  const control = await RawFtpControl.connect(stack.port);
  await control.read();
  await control.login(USER, PASSWORD);
  assert.equal((await control.command("PWD")).code, 257);
  await stack.stopStorage();
  for (const line of ["SIZE x.bin", "MKD d", "CWD d", "DELE x.bin"]) {
    const reply = await control.command(line);
    assert.equal(reply.code, 451, line);
    assert.ok(!/127\.0\.0\.1|50151|grpc/i.test(reply.text), "the reply does not name the storage address");
  }
  await control.command("EPSV");
  assert.equal((await control.command("STOR x.bin")).code, 451);
  assert.equal((await control.command("NOOP")).code, 200);
  control.close();
});
