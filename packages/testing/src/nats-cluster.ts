import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { type BusCredentials, connectBus, type NatsServerProcess, startNatsServerProcess, writeNatsAuthorization } from "@wharf/bus";
import { createLogger } from "@wharf/telemetry";
import { getFreePort } from "./free-port.js";
import { waitFor } from "./wait-for.js";

export interface NatsClusterNode {
  readonly name: string;
  readonly url: string;
  /** The running process, or undefined while the node is down. */
  readonly process: NatsServerProcess["process"] | undefined;
  /** SIGKILL: the node is gone at once, as in a crash; its store stays. */
  kill(): Promise<void>;
  /** Starts the node again with its configuration and store (it catches up from the others). */
  start(): Promise<void>;
}

export interface TestNatsCluster {
  nodes: NatsClusterNode[];
  /** Every node's URL, comma separated (WHARF_NATS_URL). */
  urls: string;
  /** How a client gets in: as the admin identity when the cluster has identities, else anonymously. */
  adminCredentials: BusCredentials;
  /** Resolves once JetStream answers through the cluster (a meta leader is elected). */
  jetStreamReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A NATS cluster with JetStream on loopback: `size` nodes, each with its own
 * client and route ports and store, routed to the others, as a fleet runs it.
 * With `identityDir`, every node takes only Wharf's identities (`wharf nats init`'s files there).
 */
export async function startNatsCluster({ size = 3, identityDir }: { size?: number; identityDir?: string } = {}): Promise<TestNatsCluster> {
  const base = await mkdtemp(join(tmpdir(), "wharf-nats-cluster-"));
  const authorization = identityDir ? await writeNatsAuthorization(identityDir) : undefined;
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await getFreePort(), route: await getFreePort() })));
  const nodes = await Promise.all(
    ports.map(async ({ client, route }, index) => {
      const name = `wharf-n${index + 1}`;
      const store = join(base, name);
      await mkdir(store, { recursive: true });
      const file = join(base, `${name}.conf`);
      const routes = ports.filter((_, other) => other !== index).map((other) => `"nats-route://127.0.0.1:${other.route}"`);
      await writeFile(
        file,
        [
          `server_name: ${name}`,
          "host: 127.0.0.1",
          `port: ${client}`,
          `jetstream { store_dir: "${store}" }`,
          `cluster { name: wharf, host: 127.0.0.1, port: ${route}, routes: [${routes.join(", ")}] }`,
          // nats-server reads an include relative to the including file's folder.
          ...(authorization ? [`include ${JSON.stringify(relative(base, authorization))}`] : []),
          "",
        ].join("\n"),
      );
      let running: NatsServerProcess | undefined;
      const node: NatsClusterNode = {
        name,
        url: `nats://127.0.0.1:${client}`,
        get process() {
          return running?.process;
        },
        kill: async () => {
          const current = running;
          running = undefined;
          if (!current) return;
          const exited = new Promise((resolve) => current.process.once("exit", resolve));
          current.process.kill("SIGKILL");
          await exited;
        },
        start: async () => {
          if (running) return;
          running = await startNatsServerProcess({ storeDir: store, port: client, configFile: file });
        },
      };
      return node;
    }),
  );
  const urls = nodes.map((node) => node.url).join(",");
  const killOnExit = () => {
    for (const node of nodes) node.process?.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  await Promise.all(nodes.map((node) => node.start()));
  const adminCredentials: BusCredentials = identityDir ? { identityDir } : {};
  const cluster: TestNatsCluster = {
    nodes,
    urls,
    adminCredentials,
    jetStreamReady: async (timeoutMs = 30_000) => {
      const nc = await connectBus({ url: urls, name: "wharf-test-cluster", identity: "admin", credentials: adminCredentials }, createLogger({ service: "test", level: "silent" }));
      try {
        // Making the manager asks JetStream already: it fails until the cluster has elected its meta leader.
        await waitFor(async () => (await (await jetstreamManager(nc)).getAccountInfo()) && true, { timeoutMs, intervalMs: 200, what: "JetStream in the NATS cluster" });
      } finally {
        await nc.close();
      }
    },
    stop: async () => {
      process.off("exit", killOnExit);
      await Promise.all(
        nodes.map(async (node) => {
          const child = node.process;
          if (!child) return;
          const exited = new Promise((resolve) => child.once("exit", resolve));
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(timer);
        }),
      );
      await rm(base, { recursive: true, force: true });
    },
  };
  await cluster.jetStreamReady();
  return cluster;
}
