import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { CertificateRule, UserRecordInput } from "@wharf/contracts";

export const USER_FLAGS = `  --home FOLDER              the user's root folder in storage (default: the user name)
  --enable | --disable
  --password-stdin           read the password from the first line of standard input
  --no-password              remove the password (the user then logs in only with a cert-only certificate)
  --perm FOLDER=P,P,...      permissions in FOLDER and below (list read write overwrite delete mkdir rename, or *;
                             FOLDER= for none); repeat for more folders; the deepest folder containing a path decides;
                             the folders given replace all the user's permission rules
  --allow-from CIDR,...      source addresses the user may log in from ("any" to clear)
  --ports ALIAS,...          ports the user may log in on ("any" to clear)
  --tls-required | --tls-optional
  --cert-file PEM            map the certificate in this file (by its SHA-256 fingerprint); repeatable
  --cert-fingerprint HEX | --cert-subject DN | --cert-ou OU | --cert-email E | --cert-dns NAME | --cert-uri URI
                             map certificates by that rule; repeatable (certificate rollover: give old and new);
                             the rules given replace all the user's certificate rules
  --cert-issuer DN           the CA (subject DN) that must have issued certificates matched by subject, OU or SAN:
                             with several partners' CAs in one trust store, any of them could write those
  --no-certs                 remove every certificate rule
  --cert-login cert-only|cert+password
                             whether a mapped certificate alone logs in, or the password is still needed
  --upload-limit BYTES/S | --download-limit BYTES/S   (0: unlimited)
  --quota-bytes N | --quota-files N   what the user's root may hold (storage refuses uploads past it: 552)
  --no-quota                 remove the quota`;

export interface UserFlags {
  changes: Partial<UserRecordInput>;
  passwordFromStdin: boolean;
  removePassword: boolean;
  removeQuota: boolean;
}

const SWITCHES: ReadonlySet<string> = new Set(["--enable", "--disable", "--disabled", "--password-stdin", "--no-password", "--tls-required", "--tls-optional", "--no-certs", "--no-quota"]);
const VALUED: ReadonlySet<string> = new Set(["--home", "--perm", "--allow-from", "--ports", "--cert-file", "--cert-issuer", "--cert-login", "--upload-limit", "--download-limit", "--quota-bytes", "--quota-files"]);

const list = (value: string) => (value === "any" ? [] : value.split(",").map((item) => item.trim()).filter(Boolean));

/** Parses the flags after the user name into record changes; a message a person can act on when they are wrong. */
export function parseUserFlags(args: readonly string[]): UserFlags | string {
  const changes: Partial<UserRecordInput> = {};
  const flags: UserFlags = { changes, passwordFromStdin: false, removePassword: false, removeQuota: false };
  let permissions: Record<string, string[]> | undefined;
  let certificates: CertificateRule[] | undefined;
  let issuer: string | undefined;
  /** null: remove the quota; undefined: leave it. */
  let quota: { bytes?: number; files?: number } | null | undefined;
  const addRule = (rule: CertificateRule) => {
    certificates ??= [];
    certificates.push(rule);
  };
  const certFlags: Record<string, keyof CertificateRule> = {
    "--cert-fingerprint": "fingerprint",
    "--cert-subject": "subject",
    "--cert-ou": "ou",
    "--cert-email": "email",
    "--cert-dns": "dns",
    "--cert-uri": "uri",
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    if (!SWITCHES.has(flag) && !VALUED.has(flag) && !certFlags[flag]) return `unknown option "${flag}"`;
    const needsValue = !SWITCHES.has(flag);
    const value = needsValue ? args[++i] : undefined;
    if (needsValue && (value === undefined || value.startsWith("--"))) return `${flag} needs a value`;
    const text = value as string;
    if (flag === "--home") changes.home = text;
    else if (flag === "--disabled" || flag === "--disable") changes.enabled = false;
    else if (flag === "--enable") changes.enabled = true;
    else if (flag === "--password-stdin") flags.passwordFromStdin = true;
    else if (flag === "--no-password") flags.removePassword = true;
    else if (flag === "--perm") {
      const equals = text.indexOf("=");
      if (equals < 1) return `--perm needs FOLDER=PERMISSIONS, e.g. /inbox=list,write (got "${text}")`;
      const granted = text.slice(equals + 1).split(",").map((item) => item.trim()).filter(Boolean);
      if (granted.includes("any")) return `--perm ${text}: "any" is not a permission; "*" grants all, and FOLDER= grants none`;
      permissions ??= {};
      permissions[text.slice(0, equals)] = granted;
    } else if (flag === "--allow-from") changes.allowedAddresses = list(text);
    else if (flag === "--ports") changes.allowedPorts = list(text);
    else if (flag === "--tls-required") changes.tlsRequired = true;
    else if (flag === "--tls-optional") changes.tlsRequired = false;
    else if (flag === "--no-certs") certificates = [];
    else if (flag === "--cert-file") {
      try {
        addRule({ fingerprint: new X509Certificate(readFileSync(text)).fingerprint256.replaceAll(":", "") });
      } catch (error) {
        return `--cert-file ${text}: not a readable PEM certificate (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
      }
    } else if (certFlags[flag]) addRule({ [certFlags[flag]]: text } as CertificateRule);
    else if (flag === "--cert-issuer") issuer = text;
    else if (flag === "--cert-login") {
      if (text !== "cert-only" && text !== "cert+password") return `--cert-login must be cert-only or cert+password (got "${text}")`;
      changes.certificateLogin = text;
    } else if (flag === "--no-quota") quota = null;
    else if (flag === "--quota-bytes" || flag === "--quota-files") {
      if (!/^[1-9]\d{0,15}$/.test(text)) return `${flag} needs a whole number above 0 (got "${text}")`;
      quota = { ...(quota ?? {}), [flag === "--quota-bytes" ? "bytes" : "files"]: Number(text) };
    } else if (flag === "--upload-limit" || flag === "--download-limit") {
      if (!/^\d{1,15}$/.test(text)) return `${flag} needs bytes per second, a whole number (got "${text}")`;
      changes[flag === "--upload-limit" ? "uploadBytesPerSecond" : "downloadBytesPerSecond"] = Number(text);
    } else return `unknown option "${flag}"`;
  }
  if (permissions) changes.permissions = permissions as UserRecordInput["permissions"];
  if (issuer !== undefined) {
    if (!certificates?.some((rule) => rule.fingerprint === undefined)) return "--cert-issuer goes with --cert-subject, --cert-ou, --cert-email, --cert-dns or --cert-uri";
    certificates = certificates.map((rule) => (rule.fingerprint === undefined ? { ...rule, issuer } : rule));
  }
  if (certificates) changes.certificates = certificates;
  if (quota !== undefined) {
    flags.removeQuota = quota === null;
    if (quota) changes.quota = quota;
  }
  if (flags.passwordFromStdin && flags.removePassword) return "--password-stdin and --no-password cannot be used together";
  return flags;
}
