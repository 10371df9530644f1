import assert from "node:assert/strict";
import { test } from "node:test";
import { FTPError } from "basic-ftp";
import { isFinalLoginRefusal } from "./ftp-push.js";

const ftpError = (code: number, message: string) => new FTPError({ code, message });

test("only the partner's 530 for the credentials ends the tries; a busy partner or a broken connection is tried again", () => {
  assert.equal(isFinalLoginRefusal(ftpError(530, "530 Login incorrect.")), true);
  assert.equal(isFinalLoginRefusal(ftpError(530, "530 Sorry, the maximum number of clients (10) for this user are already connected.")), false);
  assert.equal(isFinalLoginRefusal(ftpError(530, "530 Too many connections, try again later")), false);
  assert.equal(isFinalLoginRefusal(ftpError(421, "421 Too many users")), false);
  assert.equal(isFinalLoginRefusal(new Error("Timeout (control socket)")), false);
  assert.equal(isFinalLoginRefusal(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })), false);
});
