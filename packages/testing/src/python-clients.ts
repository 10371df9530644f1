import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The folder of the Python helper scripts shipped with this package. */
export const pythonScripts = fileURLToPath(new URL("../../python/", import.meta.url));

/**
 * Starts python3 on one of the helper scripts and resolves with its standard
 * output; a non-zero exit rejects with its standard error.
 */
export async function runPython(script: string, args: readonly string[], { timeoutMs = 60_000 } = {}): Promise<string> {
  const { stdout } = await run("python3", [`${pythonScripts}${script}`, ...args], { timeout: timeoutMs });
  return stdout;
}
