import assert from "node:assert/strict";
import { test } from "node:test";
import { storage } from "@wharf/contracts";
import { formatListLine, listingName } from "./list-format.js";

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0); // 2025-06-15 12:00 UTC
const DAY = 24 * 3600 * 1000;

const file = (name: string, size: number, mtimeMs: number): storage.Entry => ({ name, type: storage.EntryType.ENTRY_TYPE_FILE, size, mtimeMs });
const folder = (name: string, mtimeMs: number): storage.Entry => ({ name, type: storage.EntryType.ENTRY_TYPE_DIRECTORY, size: 4096, mtimeMs });

test("list format - a recent file shows mode, size, month, day and UTC time", () => {
  const line = formatListLine(file("a.txt", 1234, Date.UTC(2025, 5, 3, 9, 7)), NOW);
  assert.equal(line, "-rw-r--r--    1 ftp      ftp              1234 Jun  3 09:07 a.txt");
});

test("list format - a folder is drwxr-xr-x", () => {
  const line = formatListLine(folder("in", Date.UTC(2025, 5, 14, 23, 59)), NOW);
  assert.equal(line, "drwxr-xr-x    1 ftp      ftp              4096 Jun 14 23:59 in");
});

test("list format - an entry older than six months shows the year instead of the time", () => {
  const line = formatListLine(file("old.csv", 0, Date.UTC(2024, 10, 20, 8, 30)), NOW);
  assert.equal(line, "-rw-r--r--    1 ftp      ftp                 0 Nov 20  2024 old.csv");
});

test("list format - the time/year boundary is about six months either side of now", () => {
  assert.match(formatListLine(file("x", 1, NOW - 170 * DAY), NOW) ?? "", / \d\d:\d\d x$/);
  assert.match(formatListLine(file("x", 1, NOW - 200 * DAY), NOW) ?? "", / {2}2024 x$/);
  assert.match(formatListLine(file("x", 1, NOW + 200 * DAY), NOW) ?? "", / {2}2026 x$/);
});

test("list format - the date column is UTC, not the process's time zone", () => {
  const zone = process.env.TZ;
  process.env.TZ = "Asia/Tokyo"; // UTC+9: 23:30 UTC on Dec 31st is 08:30 on Jan 1st there
  try {
    const line = formatListLine(file("x", 1, Date.UTC(2024, 11, 31, 23, 30)), Date.UTC(2025, 0, 1, 0, 0));
    assert.match(line ?? "", / Dec 31 23:30 x$/);
  } finally {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  }
});

test("list format - every line splits into the nine ls -l fields", () => {
  const line = formatListLine(file("with space.txt", 987654321, NOW), NOW) ?? "";
  const match = /^([-d][rwx-]{9}) +(\d+) +(\S+) +(\S+) +(\d+) +([A-Z][a-z]{2}) +(\d{1,2}) +(\d\d:\d\d|\d{4}) (.+)$/.exec(line);
  assert.ok(match, line);
  assert.deepEqual(match.slice(5), ["987654321", "Jun", "15", "12:00", "with space.txt"]);
});

test("list format - a CR in a name is sent as CR NUL", () => {
  assert.equal(listingName("a\rb"), "a\r\0b");
  assert.match(formatListLine(file("a\rb", 1, NOW), NOW) ?? "", / a\r\0b$/);
});

test("list format - a name with a line feed is left out", () => {
  assert.equal(listingName("a\nb"), undefined);
  assert.equal(formatListLine(file("evil\r\n226 done", 1, NOW), NOW), undefined);
  assert.equal(formatListLine(folder("x\n", NOW), NOW), undefined);
});

test("list format - ordinary names pass unchanged", () => {
  assert.equal(listingName('Straße "q".txt'), 'Straße "q".txt');
});
