import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getFreePort } from "./free-port.js";
import { type FtpPartner, runPartnerServer } from "./ftp-partner.js";

export type VsftpdPartner = FtpPartner;

/** Whether the Debian vsftpd package is installed (`.ci/run` installs it). */
export function hasVsftpd(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v vsftpd"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts vsftpd as a strict FTPS partner, the way PEERS.md says to run it
 * here: in the foreground on loopback, no sandboxing (the containers cannot),
 * an OS user logged in through PAM, explicit FTPS (or implicit with
 * `implicit`) with `require_ssl_reuse=YES` (data connections must resume the
 * control connection's TLS session), certificate and key from the caller.
 */
export async function startVsftpdPartner(
  base: string,
  {
    certFile,
    keyFile,
    implicit = false,
    user = "wharfpartner",
    password = "partner-password-1",
    port: wanted,
    extraConfig = [],
  }: { certFile: string; keyFile: string; implicit?: boolean; user?: string; password?: string; port?: number; /** More vsftpd.conf lines (a transfer log, say). */ extraConfig?: string[] },
): Promise<VsftpdPartner> {
  const root = join(base, `vsftpd-root-${user}`);
  const empty = join(base, "vsftpd-empty");
  mkdirSync(root, { recursive: true });
  mkdirSync(empty, { recursive: true });
  // The user must be able to reach its root through the (private, mkdtemp) base folder.
  chmodSync(base, 0o711);
  chmodSync(root, 0o777);
  try {
    execFileSync("id", [user], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["-M", "-d", root, "-s", "/bin/sh", user]);
  }
  const hash = execFileSync("openssl", ["passwd", "-6", password]).toString().trim();
  execFileSync("usermod", ["-p", hash, "-d", root, user]);
  const port = wanted ?? (await getFreePort());
  const config = join(base, `vsftpd-${port}.conf`);
  writeFileSync(
    config,
    [
      "background=NO", "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", `listen_port=${port}`,
      "isolate=NO", "isolate_network=NO", "seccomp_sandbox=NO", `secure_chroot_dir=${empty}`,
      "anonymous_enable=NO", "local_enable=YES", "write_enable=YES", `local_root=${root}`, "pam_service_name=vsftpd",
      // Partners chroot their users: "/" is the user's folder (the root is writable, so vsftpd must be told that is fine).
      "chroot_local_user=YES", "allow_writeable_chroot=YES",
      "ssl_enable=YES", "force_local_logins_ssl=YES", "force_local_data_ssl=YES", "require_ssl_reuse=YES", "ssl_ciphers=HIGH",
      implicit ? "implicit_ssl=YES" : "implicit_ssl=NO",
      `rsa_cert_file=${certFile}`, `rsa_private_key_file=${keyFile}`,
      "pasv_enable=YES", "pasv_address=127.0.0.1", "pasv_min_port=44000", "pasv_max_port=44999", "max_clients=0", "max_per_ip=0",
      ...extraConfig,
      "",
    ].join("\n"),
  );
  return runPartnerServer("vsftpd", [config], { name: "vsftpd", port, user, password, root });
}
