import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  caCertFile: string;
  caKeyFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/**
 * Makes a throw-away CA, a server certificate for localhost/127.0.0.1 and a
 * client certificate (CN=partner), all EC P-256, with the openssl CLI.
 */
export async function makeTestCertificates(dir: string, { clientCommonName = "partner" } = {}): Promise<TestCertificates> {
  await mkdir(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const ecKey = (file: string) => run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file]);

  await ecKey(path("ca.key"));
  await run("openssl", ["req", "-x509", "-new", "-key", path("ca.key"), "-sha256", "-days", "2", "-subj", "/CN=Wharf Test CA", "-out", path("ca.crt")]);

  const issue = async (name: string, subject: string, extensions: string) => {
    await ecKey(path(`${name}.key`));
    await run("openssl", ["req", "-new", "-key", path(`${name}.key`), "-subj", subject, "-out", path(`${name}.csr`)]);
    await writeFile(path(`${name}.ext`), extensions);
    await run("openssl", [
      "x509", "-req", "-in", path(`${name}.csr`), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
      "-days", "2", "-sha256", "-extfile", path(`${name}.ext`), "-out", path(`${name}.crt`),
    ]);
  };
  await issue("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await issue("client", `/CN=${clientCommonName}`, "extendedKeyUsage=clientAuth\n");

  const read = (name: string) => readFile(path(name), "utf8");
  return {
    dir,
    caCertFile: path("ca.crt"),
    caKeyFile: path("ca.key"),
    serverCertFile: path("server.crt"),
    serverKeyFile: path("server.key"),
    clientCertFile: path("client.crt"),
    clientKeyFile: path("client.key"),
    caCert: await read("ca.crt"),
    serverCert: await read("server.crt"),
    serverKey: await read("server.key"),
    clientCert: await read("client.crt"),
    clientKey: await read("client.key"),
  };
}
