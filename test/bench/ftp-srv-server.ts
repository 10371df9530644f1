// ftp-srv 4.6.3 as a benchmark peer: explicit TLS, one user, files under a folder.
import { readFileSync } from "node:fs";
import { FtpSrv } from "ftp-srv";

const [port, root, certFile, keyFile] = process.argv.slice(2) as [string, string, string, string];
const server = new FtpSrv({
  url: `ftp://127.0.0.1:${port}`,
  pasv_url: "127.0.0.1",
  pasv_min: 44000,
  pasv_max: 44999,
  anonymous: false,
  tls: { key: readFileSync(keyFile), cert: readFileSync(certFile) },
  greeting: "ftp-srv benchmark peer",
});
server.on("login", ({ username, password }, resolve, reject) => {
  if (username === "bench" && password === "bench") resolve({ root });
  else reject(new Error("bad credentials"));
});
await server.listen();
