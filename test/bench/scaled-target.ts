import { Readable } from "node:stream";
import { Client } from "basic-ftp";
import { startScaleStack } from "../scale/stack.js";
import type { Target } from "./peers.js";

/**
 * The scaled-out stack (test/scale: 3 NATS nodes, two of each service, storage on the nats backend) with
 * the benchmark's clients going through HAProxy and the PROXY protocol, as partners of a fleet would.
 */
export async function startScaledTarget(): Promise<Target> {
  // Every benchmark client comes from 127.0.0.1: no per-address limit; passive ports for the many-sessions row.
  const stack = await startScaleStack({ logLevel: "warn", maxSessionsPerIp: 0, passivePorts: 600, maxconn: 4_000 });
  const user = { name: "bench", password: "bench-password-1" };
  await stack.addUser({ name: user.name, home: "bench", password: user.password });
  return {
    name: "wharf-scaled",
    port: stack.ftp.port,
    user: user.name,
    password: user.password,
    // Files are in JetStream (the nats backend): seeded through FTP.
    root: "",
    seed: async (name, bytes) => {
      const client = new Client(60_000);
      try {
        await client.access({ host: stack.ftp.host, port: stack.ftp.port, user: user.name, password: user.password, secure: true, secureOptions: { rejectUnauthorized: false } });
        await client.uploadFrom(Readable.from([bytes]), name);
      } finally {
        client.close();
      }
    },
    pids: () => [...stack.services.flatMap((service) => (service.child?.pid ? [service.child.pid] : [])), ...stack.nats.nodes.flatMap((node) => (node.process?.pid ? [node.process.pid] : []))],
    stop: () => stack.stop(),
  };
}
