import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface IssueOptions {
  /** openssl's -subj form, most general first: "/O=Acme/OU=EDI/CN=partner". */
  subject: string;
  /** Extension lines (x509v3_config); default: a TLS client certificate. */
  extensions?: string;
  /** Validity as openssl ca dates (YYYYMMDDHHMMSSZ); default: from now for two days. */
  startDate?: string;
  endDate?: string;
}

export interface TestCa {
  certFile: string;
  cert: string;
  issue(name: string, options: IssueOptions): Promise<IssuedCertificate>;
  revoke(certificate: IssuedCertificate): Promise<void>;
  /** Writes the CA's current CRL and returns its file. */
  writeCrl(): Promise<string>;
}

const CLIENT_EXTENSIONS = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n";

/**
 * A throw-away certificate authority run with `openssl ca`, which (unlike
 * `openssl x509 -req`) can back-date a certificate, revoke one and publish a
 * CRL: what the client-certificate tests need for expired and revoked cases.
 */
export async function makeTestCa(dir: string, commonName: string): Promise<TestCa> {
  await mkdir(join(dir, "issued"), { recursive: true });
  const path = (name: string) => join(dir, name);
  const ecKey = (file: string) => run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file]);
  await writeFile(path("index.txt"), "");
  await writeFile(path("serial"), "1000\n");
  await writeFile(path("crlnumber"), "1000\n");
  await writeFile(
    path("ca.cnf"),
    [
      "[ ca ]",
      "default_ca = test_ca",
      "[ test_ca ]",
      `dir = ${dir}`,
      "database = $dir/index.txt",
      "new_certs_dir = $dir/issued",
      "serial = $dir/serial",
      "crlnumber = $dir/crlnumber",
      "certificate = $dir/ca.crt",
      "private_key = $dir/ca.key",
      "default_md = sha256",
      "default_days = 2",
      "default_crl_days = 2",
      "unique_subject = no",
      "policy = any_subject",
      "[ any_subject ]",
      "countryName = optional",
      "organizationName = optional",
      "organizationalUnitName = optional",
      "commonName = optional",
      "emailAddress = optional",
      "",
    ].join("\n"),
  );
  await ecKey(path("ca.key"));
  await run("openssl", [
    "req", "-x509", "-new", "-key", path("ca.key"), "-sha256", "-days", "2", "-subj", `/CN=${commonName}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", path("ca.crt"),
  ]);
  const ca = (args: string[]) => run("openssl", ["ca", "-batch", "-config", path("ca.cnf"), ...args]);
  return {
    certFile: path("ca.crt"),
    cert: await readFile(path("ca.crt"), "utf8"),
    async issue(name, { subject, extensions = CLIENT_EXTENSIONS, startDate, endDate }) {
      await ecKey(path(`${name}.key`));
      await run("openssl", ["req", "-new", "-utf8", "-key", path(`${name}.key`), "-subj", subject, "-out", path(`${name}.csr`)]);
      await writeFile(path(`${name}.ext`), extensions);
      await ca([
        "-preserveDN", "-notext", "-in", path(`${name}.csr`), "-extfile", path(`${name}.ext`), "-out", path(`${name}.crt`),
        ...(startDate ? ["-startdate", startDate] : []), ...(endDate ? ["-enddate", endDate] : []),
      ]);
      return { certFile: path(`${name}.crt`), keyFile: path(`${name}.key`), cert: await readFile(path(`${name}.crt`), "utf8"), key: await readFile(path(`${name}.key`), "utf8") };
    },
    async revoke(certificate) {
      await ca(["-revoke", certificate.certFile]);
    },
    async writeCrl() {
      await ca(["-gencrl", "-out", path("ca.crl")]);
      return path("ca.crl");
    },
  };
}
