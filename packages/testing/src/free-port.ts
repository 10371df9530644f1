import { createServer } from "node:net";

/**
 * A port that was free a moment ago, for processes that must be told a port
 * up front. Prefer letting a server bind port 0 when it can report its port.
 */
export function getFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
