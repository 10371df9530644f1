import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { RawFtpControl } from "@wharf/testing";
import { type ListenerStack, PASSWORD, startListenerStack, USER } from "./harness.js";

let stack: ListenerStack;
before(async () => {
  stack = await startListenerStack();
});
after(() => stack.stop());

const connect = async () => {
  const control = await RawFtpControl.connect(stack.port);
  assert.equal((await control.read()).code, 220);
  return control;
};

describe("control channel framing", () => {
  test("a command split over two segments is one command; three in one segment are three", async () => {
    const control = await connect();
    control.send("NO");
    await delay(100); // two TCP segments, on purpose
    control.send("OP\r\n");
    assert.equal((await control.read()).code, 200);
    control.send("NOOP\r\nNOOP\r\nNOOP\r\n");
    assert.deepEqual([(await control.read()).code, (await control.read()).code, (await control.read()).code], [200, 200, 200]);
    // Nothing more was answered: the next reply is the one to this QUIT.
    assert.equal((await control.command("QUIT")).code, 221);
    control.close();
  });

  test("a bare LF ends a line too, and verbs are case-insensitive", async () => {
    const control = await connect();
    control.send("noop\n");
    assert.equal((await control.read()).code, 200);
    control.close();
  });

  test("an over-long line gets 500 without echoing it, a second one 421 and close", async () => {
    const control = await connect();
    control.send(`NOOP ${"x".repeat(10_000)}\r\n`);
    const first = await control.read();
    assert.equal(first.code, 500);
    assert.ok(!first.text.includes("xxxx"));
    assert.equal((await control.command("NOOP")).code, 200);
    control.send(Buffer.alloc(64 * 1024, 0x41));
    assert.equal((await control.read()).code, 421);
    await control.closed();
  });

  test("unknown verbs get 500; file commands before login get 530", async () => {
    const control = await connect();
    assert.equal((await control.command("XYZZY")).code, 500);
    for (const line of ["LIST", "RETR x", "STOR x", "CWD /", "PASV", "MKD d", "DELE x", "SIZE x"]) {
      assert.equal((await control.command(line)).code, 530, line);
    }
    control.close();
  });
});

describe("TLS negotiation (RFC 4217)", () => {
  test("FEAT before login lists AUTH TLS, PBSZ, PROT and UTF8", async () => {
    const control = await connect();
    const feat = await control.command("FEAT");
    assert.equal(feat.code, 211);
    for (const feature of ["AUTH TLS", "PBSZ", "PROT", "UTF8", "EPSV", "SIZE"]) assert.match(feat.text, new RegExp(`^ ${feature}$`, "m"));
    control.close();
  });

  test("USER before AUTH is refused with 530 and no credential reaches auth", async () => {
    const before = stack.authRequests();
    const control = await connect();
    assert.equal((await control.command(`USER ${USER}`)).code, 530);
    assert.ok([503, 530].includes((await control.command(`PASS ${PASSWORD}`)).code));
    assert.equal(stack.authRequests(), before);
    control.close();
  });

  test("AUTH TLS, TLS-C and SSL are accepted; an unknown mechanism gets 504", async () => {
    for (const mechanism of ["TLS", "TLS-C", "SSL", "tls"]) {
      const control = await connect();
      assert.equal((await control.command(`AUTH ${mechanism}`)).code, 234, mechanism);
      control.close();
    }
    const control = await connect();
    assert.equal((await control.command("AUTH XYZ")).code, 504);
    assert.equal((await control.command("NOOP")).code, 200);
    control.close();
  });

  test("PBSZ and PROT need TLS; PROT needs PBSZ; levels are checked", async () => {
    const control = await connect();
    assert.equal((await control.command("PBSZ 0")).code, 503);
    assert.equal((await control.command("PROT P")).code, 503);
    await control.startTls();
    assert.equal((await control.command("PROT P")).code, 503);
    assert.equal((await control.command("PBSZ abc")).code, 501);
    assert.equal((await control.command("PBSZ 0")).code, 200);
    assert.deepEqual(await control.codes("PROT S", "PROT E", "PROT Q", "PROT C", "AUTH TLS", "NOOP"), [
      "PROT S -> 536",
      "PROT E -> 536",
      "PROT Q -> 504",
      "PROT C -> 534",
      "AUTH TLS -> 503",
      "NOOP -> 200",
    ]);
    control.close();
  });

  test("plaintext sent after 234 is never read as a command: the connection is dropped", async () => {
    const control = await connect();
    assert.equal((await control.command("AUTH TLS")).code, 234);
    control.send(`USER ${USER}\r\n`);
    await control.closed();
    await assert.rejects(control.read(500));
  });

  test("a transfer without PROT P is refused with 521 before any 1xx", async () => {
    const control = await connect();
    await control.startTls();
    assert.equal((await control.command(`USER ${USER}`)).code, 331);
    assert.equal((await control.command(`PASS ${PASSWORD}`)).code, 230);
    assert.equal((await control.command("EPSV")).code, 229);
    assert.equal((await control.command("LIST")).code, 521);
    assert.equal((await control.command("STOR x")).code, 521);
    control.close();
  });
});

describe("logins", () => {
  test("three wrong passwords: 530, 530, then 421 and close; each refusal is delayed", async () => {
    const control = await connect();
    await control.startTls();
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      assert.equal((await control.command(`USER ${USER}`)).code, 331);
      const started = Date.now();
      codes.push((await control.command("PASS wrong")).code);
      assert.ok(Date.now() - started >= 45, "a failed PASS is answered after the configured delay");
    }
    assert.deepEqual(codes, [530, 530, 421]);
    await control.closed();
  });

  test("unknown user and anonymous get 331 then 530, like a wrong password", async () => {
    for (const name of ["nobody", "anonymous", "ftp"]) {
      const control = await connect();
      await control.startTls();
      assert.equal((await control.command(`USER ${name}`)).code, 331);
      assert.equal((await control.command("PASS guest@")).code, 530);
      control.close();
    }
  });

  test("PASS before USER and PASS after login are out of sequence (503)", async () => {
    const control = await connect();
    await control.startTls();
    assert.equal((await control.command("PASS x")).code, 503);
    assert.equal((await control.command(`USER ${USER}`)).code, 331);
    assert.equal((await control.command(`PASS ${PASSWORD}`)).code, 230);
    assert.equal((await control.command("PASS x")).code, 503);
    assert.equal((await control.command("USER bob")).code, 530);
    control.close();
  });
});
