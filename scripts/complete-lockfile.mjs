// Adds lockfile entries for platform-specific optional packages that npm left
// out (e.g. @biomejs/cli-darwin-arm64, @bufbuild/buf-win32-x64).
//
// Why: the npm registry these machines reach serves only the Linux builds of
// such packages. `npm install` then drops the other platforms' entries from
// package-lock.json, and `npm ci` refuses that lockfile as "out of sync". Each
// added entry carries the os/cpu/libc fields npm uses to skip a package that
// does not fit the machine, so `npm ci` never tries to fetch it here.
//
// Run after `npm install` changes the lockfile: `npm run lock:complete`.
// With --check it only reports missing entries and exits non-zero.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const check = process.argv.includes("--check");

const OS = ["android", "darwin", "linux", "win32", "freebsd", "openbsd", "sunos", "aix"];
const CPU = { arm64: "arm64", x64: "x64", armv7: "arm", arm: "arm", ia32: "ia32", ppc64: "ppc64", s390x: "s390x", riscv64: "riscv64" };

function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.find((part) => OS.includes(part));
  const cpu = parts.map((part) => CPU[part]).find(Boolean);
  if (!os || !cpu) return undefined;
  return { os: [os], cpu: [cpu], ...(parts.includes("musl") ? { libc: ["musl"] } : os === "linux" ? { libc: ["glibc"] } : {}) };
}

const missing = [];
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (lock.packages[target]) continue;
    const platform = platformOf(name);
    if (!platform) throw new Error(`${key} has an optional dependency ${name} that is missing and not platform-specific`);
    missing.push(name);
    lock.packages[target] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
  }
}

if (check) {
  if (missing.length > 0) {
    console.error(`package-lock.json lacks ${missing.join(", ")}: run npm run lock:complete`);
    process.exit(1);
  }
} else if (missing.length > 0) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`added ${missing.length} platform entries: ${missing.join(", ")}`);
} else {
  console.log("package-lock.json is complete");
}
