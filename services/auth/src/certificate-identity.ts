import { X509Certificate } from "node:crypto";
import type { CertificateRule } from "@wharf/contracts";

/** What a rule can be matched against, read once from the certificate. */
export interface CertificateFacts {
  fingerprint: string;
  /** "TYPE=value" per subject attribute, type upper-cased, sorted: order-insensitive comparison. */
  subject: string[];
  /** The same for the issuing CA's subject. */
  issuer: string[];
  ous: string[];
  emails: string[];
  dns: string[];
  uris: string[];
  /** An embedded NUL anywhere in the subject or the subjectAltName: such a certificate maps to no one. */
  hasNul: boolean;
  /** For logs: the subject in one line. */
  subjectText: string;
}

/** "cn = partner" → "CN=partner": the type upper-cased, spaces around the "=" dropped. */
function normalizeAttribute(text: string): string {
  const equals = text.indexOf("=");
  if (equals < 1) return text;
  return `${text.slice(0, equals).trim().toUpperCase()}=${text.slice(equals + 1).trim()}`;
}

/**
 * Splits a DN into sorted "TYPE=value" items, for an order-insensitive
 * comparison. Reads both RFC 4514 strings (attributes separated by "," or
 * "+", as `openssl x509 -nameopt RFC2253` prints them, with "\," "\\" and
 * "\C3\BC" escapes, the hex pairs being UTF-8 bytes) and Node's form (one
 * attribute per line, UTF-8 as is, the same backslash escapes).
 */
export function dnAttributes(dn: string): string[] {
  const items: string[] = [];
  let bytes: number[] = [];
  const flush = () => {
    const text = Buffer.from(bytes).toString("utf8").trim();
    if (text) items.push(normalizeAttribute(text));
    bytes = [];
  };
  const chars = [...dn];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    if (char === "\\" && i + 1 < chars.length) {
      const pair = `${chars[i + 1]}${chars[i + 2] ?? ""}`;
      if (/^[0-9A-Fa-f]{2}$/.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(chars[i + 1] as string));
        i += 1;
      }
    } else if (char === "," || char === "+" || char === "\n") flush();
    else bytes.push(...Buffer.from(char));
  }
  flush();
  return items.sort();
}

/** Node prints subjectAltName as `DNS:a, email:b, URI:c`, quoting (JSON-style) any value with special characters. */
function altNames(text: string | undefined): Array<{ kind: string; value: string }> {
  const names: Array<{ kind: string; value: string }> = [];
  if (!text) return names;
  const entry = /([A-Za-z][A-Za-z ]*):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (const match of text.matchAll(entry)) {
    const raw = match[2] ?? "";
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = "\0"; // unparseable: treat as hostile
      }
    }
    names.push({ kind: match[1] ?? "", value });
  }
  return names;
}

export function certificateFacts(der: Uint8Array): CertificateFacts {
  const certificate = new X509Certificate(der);
  const subject = dnAttributes(certificate.subject);
  const names = altNames(certificate.subjectAltName);
  const of = (kind: string) => names.filter((name) => name.kind === kind).map((name) => name.value);
  return {
    fingerprint: certificate.fingerprint256.replaceAll(":", ""),
    subject,
    issuer: dnAttributes(certificate.issuer),
    ous: subject.filter((item) => item.startsWith("OU=")).map((item) => item.slice(3)),
    emails: of("email").map((email) => email.toLowerCase()),
    dns: of("DNS").map((name) => name.toLowerCase()),
    uris: of("URI"),
    hasNul: subject.some((item) => item.includes("\0")) || names.some((name) => name.value.includes("\0")),
    subjectText: certificate.subject.replaceAll("\n", ", "),
  };
}

const sameDn = (text: string, attributes: readonly string[]) => {
  const wanted = dnAttributes(text);
  return wanted.length === attributes.length && wanted.every((item, index) => item === attributes[index]);
};

/** Whether one rule matches the certificate (exact matches only: no wildcards, no prefixes). */
export function ruleMatches(rule: CertificateRule, facts: CertificateFacts): boolean {
  if (rule.fingerprint !== undefined) return rule.fingerprint === facts.fingerprint;
  if (rule.issuer !== undefined && !sameDn(rule.issuer, facts.issuer)) return false;
  if (rule.subject !== undefined) return sameDn(rule.subject, facts.subject);
  if (rule.ou !== undefined) return facts.ous.includes(rule.ou);
  if (rule.email !== undefined) return facts.emails.includes(rule.email.toLowerCase());
  if (rule.dns !== undefined) return facts.dns.includes(rule.dns.toLowerCase());
  if (rule.uri !== undefined) return facts.uris.includes(rule.uri);
  return false;
}
