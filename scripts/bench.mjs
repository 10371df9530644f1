// npm run bench: see test/bench/main.ts. Built by `npm run build` (prebench).
import { spawnSync } from "node:child_process";

const result = spawnSync(process.execPath, [new URL("../test/dist/bench/main.js", import.meta.url).pathname], { stdio: "inherit" });
process.exit(result.status ?? 1);
