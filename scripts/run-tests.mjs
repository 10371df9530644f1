// npm test: the checks that do not need a running stack (lint, generated
// contracts up to date), then every compiled test file with Node's test runner:
// unit tests (src/*.test.js), integration tests against real nats-server, gRPC
// and TLS (test/*.int.test.js), and end-to-end tests of the whole stack
// (test/e2e). `npm run build` has run before this (pretest).
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const step = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

step("biome", ["lint", "."]);
step(process.execPath, ["scripts/generate.mjs", "--check"]);
step(process.execPath, ["scripts/complete-lockfile.mjs", "--check"]);
step(process.execPath, [
  "--test",
  "--test-timeout=180000",
  ...process.argv.slice(2),
  "packages/*/dist/**/*.test.js",
  "services/*/dist/**/*.test.js",
  "test/dist/**/*.test.js",
]);
