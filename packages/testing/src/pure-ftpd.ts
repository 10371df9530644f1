import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getFreePort } from "./free-port.js";
import { type FtpPartner, runPartnerServer } from "./ftp-partner.js";

/**
 * Where `.ci/run` unpacks the Debian pure-ftpd package: it conflicts with
 * vsftpd, so it is unpacked (`dpkg -x`) rather than installed (PEERS.md).
 * `WHARF_PURE_FTPD_DIR` names another unpacked copy.
 */
export const pureFtpdUnpackedDir = "/opt/wharf-peers/pure-ftpd";

/** The pure-ftpd and pure-pw programs: an unpacked copy, or an installed package. */
export function findPureFtpd(): { server: string; passwords: string } {
  const dir = process.env.WHARF_PURE_FTPD_DIR ?? pureFtpdUnpackedDir;
  const unpacked = { server: join(dir, "usr/sbin/pure-ftpd"), passwords: join(dir, "usr/bin/pure-pw") };
  if (existsSync(unpacked.server) && existsSync(unpacked.passwords)) return unpacked;
  const installed = { server: "/usr/sbin/pure-ftpd", passwords: "/usr/bin/pure-pw" };
  if (existsSync(installed.server) && existsSync(installed.passwords)) return installed;
  throw new Error(`pure-ftpd is not here: .ci/run unpacks the Debian package into ${pureFtpdUnpackedDir} (or set WHARF_PURE_FTPD_DIR to an unpacked copy)`);
}

/** The unprivileged account pure-ftpd's virtual user runs as. */
const nobody = 65534;

/**
 * Starts pure-ftpd as a partner the way PEERS.md says to run it here: in the
 * foreground on loopback, one virtual user (PureDB) chrooted to its folder,
 * TLS required on the control connection (`-Y 2`), passive on loopback. The
 * user's hash is SHA-512 crypt, not pure-pw's default argon2id (about 3 s
 * per login on these machines). `quotaMegabytes` gives every user a quota,
 * which pure-ftpd enforces by cutting an upload that goes over it.
 */
export async function startPureFtpdPartner(
  base: string,
  { certFile, keyFile, user = "purepartner", password = "partner-password-2", quotaMegabytes }: { certFile: string; keyFile: string; user?: string; password?: string; quotaMegabytes?: number },
): Promise<FtpPartner> {
  const { server, passwords } = findPureFtpd();
  const port = await getFreePort();
  const root = join(base, `pure-ftpd-root-${port}`);
  mkdirSync(root, { recursive: true });
  // The virtual user's account must reach and own its folder through the (private, mkdtemp) base folder.
  chmodSync(base, 0o711);
  chownSync(root, nobody, nobody);
  const hash = execFileSync("openssl", ["passwd", "-6", password]).toString().trim();
  const passwdFile = join(base, `pure-ftpd-${port}.passwd`);
  const database = join(base, `pure-ftpd-${port}.pdb`);
  // PureDB's text form: user:hash:uid:gid:gecos:home (the "/./" marks the chroot), then limits left empty.
  writeFileSync(passwdFile, `${user}:${hash}:${nobody}:${nobody}::${root}/./::::::::::::\n`, { mode: 0o600 });
  execFileSync(passwords, ["mkdb", database, "-f", passwdFile]);
  const args = [
    "-S", `127.0.0.1,${port}`, "-l", `puredb:${database}`, "-E", "-A", "-H",
    "-Y", "2", "-2", `${certFile},${keyFile}`,
    "-p", "45000:45999", "-P", "127.0.0.1",
    ...(quotaMegabytes === undefined ? [] : ["-n", `100000:${quotaMegabytes}`]),
  ];
  return runPartnerServer(server, args, { name: "pure-ftpd", port, user, password, root });
}
