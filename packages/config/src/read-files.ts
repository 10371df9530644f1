import { readFile } from "node:fs/promises";
import { ConfigError } from "./load-config.js";

/**
 * Reads files that variables name, all of them, and reports every one that cannot be read in one ConfigError
 * naming its variable (a main prints it and exits 78, as for the variables themselves).
 */
export async function readNamedFiles<K extends string>(files: Record<K, { variable: string; path: string }>): Promise<Record<K, Buffer>> {
  const problems: string[] = [];
  const read = {} as Record<K, Buffer>;
  for (const [key, { variable, path }] of Object.entries(files) as [K, { variable: string; path: string }][]) {
    try {
      read[key] = await readFile(path);
      if (read[key].length === 0) problems.push(`${variable}: ${path} is empty`);
    } catch (error) {
      problems.push(`${variable}: ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return read;
}

/** The gRPC TLS files (grpcTlsFiles), read: CA, certificate and key as PEM buffers; undefined when not configured. */
export async function readGrpcTls(files: { caFile: string; certFile: string; keyFile: string } | undefined): Promise<{ ca: Buffer; cert: Buffer; key: Buffer } | undefined> {
  if (!files) return undefined;
  return readNamedFiles({
    ca: { variable: "WHARF_GRPC_TLS_CA_FILE", path: files.caFile },
    cert: { variable: "WHARF_GRPC_TLS_CERT_FILE", path: files.certFile },
    key: { variable: "WHARF_GRPC_TLS_KEY_FILE", path: files.keyFile },
  });
}
