// Regenerates packages/contracts/src/gen from proto/ with buf + ts-proto.
// With --check, generates into a temporary folder and fails when the committed
// stubs differ, so stale contracts cannot land.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const committed = join(root, "packages/contracts/src/gen");
const check = process.argv.includes("--check");

function generate(outputBase) {
  const args = ["generate", "proto", "--template", "proto/buf.gen.yaml"];
  if (outputBase) args.push("--output", outputBase);
  execFileSync("buf", args, { cwd: root, stdio: "inherit" });
}

function listFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => statSync(path).isFile())
    .map((path) => relative(dir, path))
    .sort();
}

if (!check) {
  generate();
} else {
  const tmp = mkdtempSync(join(tmpdir(), "wharf-gen-"));
  try {
    generate(tmp);
    const fresh = join(tmp, "packages/contracts/src/gen");
    const want = listFiles(fresh);
    const have = listFiles(committed);
    const stale = [...new Set([...want, ...have])].filter((file) => {
      if (!want.includes(file) || !have.includes(file)) return true;
      return !readFileSync(join(fresh, file)).equals(readFileSync(join(committed, file)));
    });
    if (stale.length > 0) {
      console.error(`generated contracts are stale (${stale.join(", ")}): run npm run generate and commit the result`);
      process.exit(1);
    }
    console.log(`generated contracts are up to date (${want.length} files)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
