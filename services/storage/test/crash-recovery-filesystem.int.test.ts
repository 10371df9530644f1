import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { crashRecoverySuite } from "./crash-recovery-suite.js";

crashRecoverySuite("filesystem", {
  env: { WHARF_STORAGE_BACKEND: "filesystem" },
  // Temp files and commit journals in uploads/.
  leftovers: async (_nc, dataDir) => (await readdir(join(dataDir, "uploads"))).length,
});
