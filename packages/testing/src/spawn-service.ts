import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface SpawnedService {
  child: ChildProcess;
  /** Every line it printed (stdout and stderr), for assertions and for a failure's message. */
  output: string[];
}

/**
 * Starts a Wharf service's main as `npm start` does (its own process, its
 * settings in the environment) and resolves once it logs its ready line
 * (`"<name> ready"`); rejects with everything it printed if it exits first or
 * is not ready within `timeoutMs`.
 */
export async function spawnService(main: string, env: NodeJS.ProcessEnv, readyMessage: string, { timeoutMs = 30_000 } = {}): Promise<SpawnedService> {
  const child = spawn(process.execPath, [main], { env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => output.push(line));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${readyMessage}: not within ${timeoutMs} ms:\n${output.join("\n")}`)), timeoutMs);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      output.push(line);
      if (line.includes(`"${readyMessage}"`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before "${readyMessage}":\n${output.join("\n")}`));
    });
  });
  return { child, output };
}
