import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendContract } from "./backend-contract.js";

let dataDir: string;

backendContract("filesystem", {
  backend: async () => {
    dataDir = await mkdtemp(join(tmpdir(), "wharf-contract-fs-"));
    return { kind: "filesystem", dataDir };
  },
  bytesInProgress: async () => {
    let total = 0;
    for (const name of await readdir(join(dataDir, "uploads"))) total += (await stat(join(dataDir, "uploads", name)).catch(() => undefined))?.size ?? 0;
    return total;
  },
  leftovers: async () => (await readdir(join(dataDir, "uploads"))).length,
  cleanUp: () => rm(dataDir, { recursive: true, force: true }),
});
