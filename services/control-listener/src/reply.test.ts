import assert from "node:assert/strict";
import { test } from "node:test";
import { formatReply, quotePath } from "./reply.js";

test("reply - a single-line reply is code, space, text, CRLF", () => {
  assert.equal(formatReply(200, "Command okay."), "200 Command okay.\r\n");
  assert.equal(formatReply(226, ["Transfer complete."]), "226 Transfer complete.\r\n");
  assert.equal(formatReply(200, []), "200 \r\n");
});

test("reply - a multi-line reply is code-dash first, indented middle, code-space last (RFC 959 4.2)", () => {
  assert.equal(formatReply(211, ["Features:", "UTF8", "EPSV", "End"]), "211-Features:\r\n UTF8\r\n EPSV\r\n211 End\r\n");
  assert.equal(formatReply(214, ["first", "last"]), "214-first\r\n214 last\r\n");
});

test("reply - a middle line that starts with digits cannot look like the final line", () => {
  const wire = formatReply(211, ["Status:", "211 fake end", "End"]);
  const lines = wire.split("\r\n").slice(0, -1);
  assert.deepEqual(lines.filter((l) => /^\d{3} /.test(l)), ["211 End"]);
});

test("reply - CR and LF in a text are never sent raw", () => {
  const evil = "a.txt\r\n230 Login successful.";
  for (const wire of [formatReply(550, evil), formatReply(211, ["x", evil, `y${evil}`])]) {
    assert.equal(wire.endsWith("\r\n"), true);
    const lines = wire.split("\r\n").slice(0, -1);
    assert.equal(lines.some((l) => l.includes("\r") || l.includes("\n")), false);
    assert.equal(lines.some((l) => l.startsWith("230")), false);
  }
  assert.equal(formatReply(550, "a\rb\nc"), "550 a b c\r\n");
});

test("reply - quotePath doubles inner quotes (RFC 959 appendix II)", () => {
  assert.equal(quotePath("/in"), '"/in"');
  assert.equal(quotePath('/a "b" c'), '"/a ""b"" c"');
  assert.equal(quotePath('/"'), '"/"""');
});
