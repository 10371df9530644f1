import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { access, chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The services that get a certificate from the internal CA (`init` makes one each), and what each is for. */
export const PKI_ROLES = ["storage", "listener", "outbound"] as const;
/** Also issued on request: `nats`, for the routes between NATS cluster nodes (each node is server and client). */
export const ISSUABLE_ROLES = [...PKI_ROLES, "nats"] as const;
export type PkiRole = (typeof ISSUABLE_ROLES)[number];

/** Files in a PKI folder: the CA, a certificate and key per role, and auth's grant key pair. */
export const pkiFiles = (dir: string) => ({
  caCert: join(dir, "ca.crt"),
  caKey: join(dir, "ca.key"),
  cert: (name: string) => join(dir, `${name}.crt`),
  key: (name: string) => join(dir, `${name}.key`),
  grantKey: join(dir, "grant.key"),
  grantPublicKey: join(dir, "grant.pub"),
});

/** Refused input (a bad host, an existing file without --force): the message says what to do. */
export class PkiError extends Error {
  override name = "PkiError";
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new PkiError("openssl was not found on PATH; install it (apt-get install openssl)");
    throw new PkiError(`openssl ${args[0]} failed: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`);
  }
}

/** A host for a subjectAltName: an IP address or a DNS name. */
function subjectAltName(hosts: string[]): string {
  return hosts
    .map((host) => {
      if (isIP(host)) return `IP:${host}`;
      if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host)) throw new PkiError(`"${host}" is neither an IP address nor a host name`);
      return `DNS:${host}`;
    })
    .join(",");
}

/**
 * Issues `<name>.crt` and `<name>.key` for a role from the CA in `dir`. The common name is the role
 * (`wharf-storage`, `wharf-listener`, `wharf-outbound`): storage reads it to know who calls. Storage's
 * certificate is a server's (its hosts as subjectAltNames), the others are clients'.
 */
export async function issueCertificate(dir: string, { role, name = role, hosts = [], days }: { role: PkiRole; name?: string; hosts?: string[]; days: number }): Promise<{ cert: string; key: string }> {
  const files = pkiFiles(dir);
  const cert = files.cert(name);
  const key = files.key(name);
  const usage = { storage: "serverAuth", nats: "serverAuth,clientAuth", listener: "clientAuth", outbound: "clientAuth" }[role];
  const names = role === "storage" || role === "nats" ? `subjectAltName=${subjectAltName(hosts.length > 0 ? hosts : ["localhost"])}\n` : "";
  const extensions = `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${usage}\n${names}`;
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
  await chmod(key, 0o600);
  await openssl(["req", "-new", "-key", key, "-subj", `/CN=wharf-${role}`, "-out", csr]);
  await writeFile(ext, extensions);
  try {
    await openssl(["x509", "-req", "-in", csr, "-CA", files.caCert, "-CAkey", files.caKey, "-CAcreateserial", "-days", String(days), "-sha256", "-extfile", ext, "-out", cert]);
  } finally {
    await rm(csr, { force: true });
    await rm(ext, { force: true });
  }
  return { cert, key };
}

/**
 * A small internal PKI in `dir` (issue 9): a CA (EC P-256), storage's server certificate for `hosts`, client
 * certificates for the listener and outbound, and auth's Ed25519 key pair for session grants. Private keys
 * are mode 0600. Existing files are kept unless `force`: a second run must not silently replace a CA that
 * running services trust.
 */
export async function createInternalPki(dir: string, { hosts, days, force = false }: { hosts: string[]; days: number; force?: boolean }): Promise<void> {
  subjectAltName(hosts); // refuses a bad host before any file is written
  const files = pkiFiles(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const all = [files.caCert, files.caKey, files.grantKey, files.grantPublicKey, ...PKI_ROLES.flatMap((role) => [files.cert(role), files.key(role)])];
  const present = [];
  for (const file of all) if (await exists(file)) present.push(file);
  if (present.length > 0 && !force) throw new PkiError(`${present.join(", ")} already exist; keep them, or give --force to replace them all (services must then get the new files)`);
  await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", files.caKey]);
  await chmod(files.caKey, 0o600);
  await openssl([
    "req", "-x509", "-new", "-key", files.caKey, "-sha256", "-days", String(days), "-subj", "/CN=Wharf internal CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", files.caCert,
  ]);
  for (const role of PKI_ROLES) await issueCertificate(dir, { role, hosts: role === "storage" ? hosts : [], days });
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  await writeFile(files.grantKey, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  await writeFile(files.grantPublicKey, publicKey.export({ type: "spki", format: "pem" }));
}

/** The environment each service needs for a PKI folder (what `wharf certs init` prints and `wharf start` sets). */
export function pkiEnvironment(dir: string): Record<"storage" | "listener" | "outbound" | "auth", Record<string, string>> {
  const files = pkiFiles(dir);
  const tls = (role: (typeof PKI_ROLES)[number]) => ({ WHARF_GRPC_TLS_CA_FILE: files.caCert, WHARF_GRPC_TLS_CERT_FILE: files.cert(role), WHARF_GRPC_TLS_KEY_FILE: files.key(role) });
  return {
    storage: { ...tls("storage"), WHARF_STORAGE_GRANT_PUBLIC_KEY_FILE: files.grantPublicKey },
    listener: tls("listener"),
    outbound: tls("outbound"),
    auth: { WHARF_AUTH_GRANT_KEY_FILE: files.grantKey },
  };
}
