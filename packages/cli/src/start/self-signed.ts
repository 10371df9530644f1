import { execFile } from "node:child_process";
import { access, chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  created: boolean;
}

/**
 * The first run's TLS certificate: a self-signed EC P-256 certificate for
 * localhost and 127.0.0.1, made with the openssl CLI and kept under the data
 * folder. Later runs reuse it. Operators replace it with their own
 * (WHARF_TLS_CERT_FILE / WHARF_TLS_KEY_FILE).
 */
export async function ensureSelfSignedCertificate(dataDir: string): Promise<TlsFiles> {
  const dir = join(dataDir, "tls");
  const certFile = join(dir, "server.crt");
  const keyFile = join(dir, "server.key");
  const exists = await Promise.all([access(certFile), access(keyFile)]).then(
    () => true,
    () => false,
  );
  if (exists) return { certFile, keyFile, created: false };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await run("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-sha256", "-days", "825",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout", keyFile, "-out", certFile,
    ]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("openssl was not found on PATH; install it (apt-get install openssl) or set WHARF_TLS_CERT_FILE and WHARF_TLS_KEY_FILE");
    }
    throw error;
  }
  await chmod(keyFile, 0o600);
  return { certFile, keyFile, created: true };
}
