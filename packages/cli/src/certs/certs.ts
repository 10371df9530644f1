import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createInternalPki, ISSUABLE_ROLES, issueCertificate, type PkiRole, PkiError, pkiEnvironment, pkiFiles } from "./internal-pki.js";

const USAGE = [
  "usage: wharf certs init --dir DIR [--hosts storage,localhost,127.0.0.1] [--days 825] [--force]",
  "       wharf certs issue --dir DIR --role storage|listener|outbound|nats [--name NAME] [--hosts a,b] [--days 825]",
].join("\n");

/**
 * `wharf certs`: the internal CA for gRPC between the listener/outbound and storage (docs/security.md).
 * `init` makes the CA, one certificate per service and auth's grant keys; `issue` adds a certificate from
 * the same CA (another storage instance's host names, say).
 */
export async function certsCommand(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "init" && sub !== "issue") {
    err(sub ? `wharf certs: unknown command "${sub}"\n${USAGE}` : USAGE);
    return 2;
  }
  let values: { dir?: string | undefined; hosts?: string | undefined; days?: string | undefined; force?: boolean | undefined; role?: string | undefined; name?: string | undefined };
  try {
    values = parseArgs({
      args: rest,
      options: { dir: { type: "string" }, hosts: { type: "string" }, days: { type: "string" }, force: { type: "boolean" }, role: { type: "string" }, name: { type: "string" } },
      strict: true,
    }).values;
  } catch (error) {
    err(`wharf certs ${sub}: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const days = Number(values.days ?? 825);
  const problems: string[] = [];
  if (!values.dir) problems.push("--dir is required: the folder for the CA and the certificates");
  if (!Number.isInteger(days) || days < 1 || days > 3650) problems.push(`--days must be a whole number of days from 1 to 3650 (got ${values.days})`);
  if (sub === "issue" && !ISSUABLE_ROLES.includes(values.role as PkiRole)) problems.push(`--role must be one of ${ISSUABLE_ROLES.join(", ")} (got ${values.role ?? "nothing"})`);
  if (values.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(values.name)) problems.push("--name must be 1-64 of A-Z a-z 0-9 . _ - (it names the files)");
  if (sub === "init" && (values.role || values.name)) problems.push("--role and --name are for wharf certs issue");
  if (problems.length > 0) {
    for (const problem of problems) err(`wharf certs ${sub}: ${problem}`);
    return 2;
  }
  const dir = resolve(values.dir as string);
  const hosts = (values.hosts ?? (sub === "init" ? "storage,localhost,127.0.0.1" : ""))
    .split(",")
    .map((host) => host.trim())
    .filter(Boolean);
  try {
    if (sub === "init") {
      await createInternalPki(dir, { hosts, days, force: values.force === true });
      out(`internal CA and certificates in ${dir} (private keys mode 0600; copy each only to the service it names)`);
      for (const [service, env] of Object.entries(pkiEnvironment(dir))) {
        out(`${service}:`);
        for (const [variable, file] of Object.entries(env)) out(`  ${variable}=${file}`);
      }
      out(`storage's certificate names ${hosts.join(", ")}: the address the listener and outbound use (WHARF_STORAGE_ADDRESS) must be one of them.`);
      out("Keep ca.key off the service machines: it issues certificates (wharf certs issue).");
    } else {
      const role = values.role as PkiRole;
      const name = values.name ?? role;
      const taken = await access(pkiFiles(dir).cert(name)).then(
        () => true,
        () => false,
      );
      if (taken && values.force !== true) throw new PkiError(`${pkiFiles(dir).cert(name)} already exists; give another --name, or --force to replace it`);
      const { cert, key } = await issueCertificate(dir, { role, ...(values.name ? { name: values.name } : {}), hosts, days });
      out(`issued ${cert} and ${key} (common name wharf-${role})`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof PkiError)) throw error;
    err(`wharf certs ${sub}: ${error.message}`);
    return 1;
  }
}
