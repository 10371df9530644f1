import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { connectBus, type NatsConnection, type NatsServerProcess, startNatsServerProcess } from "@wharf/bus";
import { createLogger } from "@wharf/telemetry";

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

/** A test file's own nats-server and a connection to it, started before its tests and stopped after them. */
export interface TestBus {
  readonly nc: NatsConnection;
  readonly url: string;
}

/**
 * Registers `before`/`after` hooks that start a nats-server (JetStream) and
 * connect to it: the bus most integration test files need, in one line.
 */
export function useTestBus(name: string): TestBus {
  let server: TestNatsServer | undefined;
  let connection: NatsConnection | undefined;
  before(async () => {
    server = await startNatsServer();
    connection = await connectBus({ url: server.url, name }, createLogger({ service: name, level: "silent" }));
  });
  after(async () => {
    await connection?.close();
    await server?.stop();
  });
  return {
    get nc() {
      if (!connection) throw new Error("the test bus is not started yet (use it inside a test)");
      return connection;
    },
    get url() {
      if (!server) throw new Error("the test bus is not started yet (use it inside a test)");
      return server.url;
    },
  };
}
