import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { connect } from "node:tls";
import type { Tls } from "./peers.js";

/** The sending side: a Node TLS server in its own process, as Wharf's listener is, writing `total` bytes to whoever connects. */
const SERVER = `
const tls = require("node:tls"), fs = require("node:fs");
const [cert, key, total] = process.argv.slice(1);
const chunk = Buffer.alloc(256 * 1024, 5);
const server = tls.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (socket) => {
  let sent = 0;
  const pump = () => { while (sent < Number(total)) { sent += chunk.length; if (!socket.write(chunk)) return void socket.once("drain", pump); } socket.end(); };
  pump();
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

/**
 * The Node TLS loopback ceiling: what one TLS 1.3 stream from a Node process carries to another process
 * here, with the servers' certificate. A single-stream FTPS download from Wharf is measured against it.
 */
export async function tlsCeiling(tls: Tls, megabytes: number): Promise<number> {
  const total = megabytes * 1024 * 1024;
  const child = spawn(process.execPath, ["-e", SERVER, tls.certFile, tls.keyFile, String(total)], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
    const started = process.hrtime.bigint();
    const client = connect({ host: "127.0.0.1", port: Number(line), rejectUnauthorized: false });
    let received = 0;
    client.on("data", (data: Buffer) => {
      received += data.length;
    });
    await once(client, "end");
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    client.destroy();
    if (received < total) throw new Error(`only ${received} of ${total} bytes arrived`);
    return megabytes / seconds;
  } finally {
    child.kill();
  }
}
