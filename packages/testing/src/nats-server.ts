import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NatsServerProcess, startNatsServerProcess } from "@wharf/bus";

export interface TestNatsServer extends Omit<NatsServerProcess, "stop"> {
  readonly storeDir: string;
  /** Stops the server and removes its store (unless the caller gave the store or asks to keep it). */
  stop(options?: { keepStore?: boolean }): Promise<void>;
}

/**
 * Starts a real nats-server with JetStream on loopback for a test, the way
 * nats.js's own tests do: no mocked bus. The server picks its own free port
 * (-p -1), so parallel test files never race for one.
 */
export async function startNatsServer({ storeDir, port = -1 }: { storeDir?: string; port?: number } = {}): Promise<TestNatsServer> {
  const store = storeDir ?? (await mkdtemp(join(tmpdir(), "wharf-nats-")));
  const server = await startNatsServerProcess({ storeDir: store, port });
  // A test process that ends without stopping its server (a crash, a timeout, process.exit) takes it along.
  const killOnExit = () => server.process.kill("SIGKILL");
  process.once("exit", killOnExit);
  return {
    url: server.url,
    port: server.port,
    process: server.process,
    storeDir: store,
    stop: async ({ keepStore = false } = {}) => {
      process.off("exit", killOnExit);
      await server.stop();
      if (!keepStore && !storeDir) await rm(store, { recursive: true, force: true });
    },
  };
}
