import { X509Certificate } from "node:crypto";
import type { CertificateRule } from "@wharf/contracts";

/** What a rule can be matched against, read once from the certificate. */
export interface CertificateFacts {
  fingerprint: string;
  /** "TYPE=value" per subject attribute, type upper-cased, sorted: order-insensitive comparison. */
  subject: string[];
  ous: string[];
  emails: string[];
  dns: string[];
  uris: string[];
  /** An embedded NUL anywhere in the subject or the subjectAltName: such a certificate maps to no one. */
  hasNul: boolean;
  /** For logs: the subject in one line. */
  subjectText: string;
}

/** Unescapes an RFC 4514 value: \, \+ \" \\ and \XX hex pairs. */
function unescapeDnValue(value: string): string {
  return value.replace(/\\([0-9A-Fa-f]{2}|.)/g, (_all, escaped: string) => (escaped.length === 2 ? String.fromCharCode(Number.parseInt(escaped, 16)) : escaped));
}

/** Splits an RFC 4514 DN ("CN=a\,b,O=c" or one attribute per line) into sorted "TYPE=value" items. */
export function dnAttributes(dn: string): string[] {
  const parts = dn.split(/(?<!\\)[,+\n]/).map((part) => part.trim()).filter(Boolean);
  return parts
    .map((part) => {
      const equals = part.indexOf("=");
      if (equals < 1) return part;
      return `${part.slice(0, equals).trim().toUpperCase()}=${unescapeDnValue(part.slice(equals + 1).trim())}`;
    })
    .sort();
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
    ous: subject.filter((item) => item.startsWith("OU=")).map((item) => item.slice(3)),
    emails: of("email").map((email) => email.toLowerCase()),
    dns: of("DNS").map((name) => name.toLowerCase()),
    uris: of("URI"),
    hasNul: subject.some((item) => item.includes("\0")) || names.some((name) => name.value.includes("\0")),
    subjectText: certificate.subject.replaceAll("\n", ", "),
  };
}

/** Whether one rule matches the certificate (exact matches only: no wildcards, no prefixes). */
export function ruleMatches(rule: CertificateRule, facts: CertificateFacts): boolean {
  if (rule.fingerprint !== undefined) return rule.fingerprint === facts.fingerprint;
  if (rule.subject !== undefined) {
    const wanted = dnAttributes(rule.subject);
    return wanted.length === facts.subject.length && wanted.every((item, index) => item === facts.subject[index]);
  }
  if (rule.ou !== undefined) return facts.ous.includes(rule.ou);
  if (rule.email !== undefined) return facts.emails.includes(rule.email.toLowerCase());
  if (rule.dns !== undefined) return facts.dns.includes(rule.dns.toLowerCase());
  if (rule.uri !== undefined) return facts.uris.includes(rule.uri);
  return false;
}
