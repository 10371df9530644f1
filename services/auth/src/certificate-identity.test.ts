import assert from "node:assert/strict";
import { test } from "node:test";
import { CertificateRule } from "@wharf/contracts";
import { type CertificateFacts, dnAttributes, ruleMatches } from "./certificate-identity.js";

const facts: CertificateFacts = {
  fingerprint: "0123456789ABCDEF".repeat(4),
  subject: dnAttributes("O=Acme\\, Inc.\nOU=Finance\nOU=EDI\nCN=partner"),
  issuer: dnAttributes("CN=Partner CA"),
  ous: ["Finance", "EDI"],
  emails: ["edi@acme.example"],
  dns: ["edi.acme.example"],
  uris: ["spiffe://acme.example/edi"],
  hasNul: false,
  subjectText: "",
};
const rule = (input: unknown) => CertificateRule.parse(input);

test("subject DNs compare attribute by attribute, in any order, with RFC 4514 escapes", () => {
  assert.deepEqual(dnAttributes("CN=partner, OU=EDI,OU=Finance,O=Acme\\, Inc."), facts.subject);
  assert.equal(ruleMatches(rule({ subject: "CN=partner,OU=EDI,OU=Finance,O=Acme\\, Inc." }), facts), true);
  assert.equal(ruleMatches(rule({ subject: "cn=partner,ou=EDI,ou=Finance,o=Acme\\, Inc." }), facts), true, "attribute types are case-insensitive");
  assert.equal(ruleMatches(rule({ subject: "CN=partner,OU=EDI,O=Acme\\, Inc." }), facts), false, "one OU missing");
  assert.equal(ruleMatches(rule({ subject: "CN=Partner,OU=EDI,OU=Finance,O=Acme\\, Inc." }), facts), false, "values are exact");
});

test("DN escapes: a value ending in a backslash keeps the next attribute apart; hex pairs are UTF-8 bytes", () => {
  // Node's form (one attribute per line) and openssl's RFC 2253 form of the same subject.
  const node = dnAttributes("O=Acme\\, Inc.\nCN=J\u00fcrgen\\\\\nOU=admins");
  const rfc2253 = dnAttributes("OU=admins,CN=J\\C3\\BCrgen\\\\,O=Acme\\, Inc.");
  assert.deepEqual(node, ["CN=J\u00fcrgen\\", "O=Acme, Inc.", "OU=admins"]);
  assert.deepEqual(rfc2253, node);
});

test("fingerprints with or without colons, any case; SAN rules exact (email and DNS case-insensitive); OU one of several", () => {
  const colons = facts.fingerprint.toLowerCase().match(/../g)?.join(":");
  assert.equal(ruleMatches(rule({ fingerprint: colons }), facts), true);
  assert.equal(ruleMatches(rule({ fingerprint: "00".repeat(32) }), facts), false);
  assert.equal(ruleMatches(rule({ email: "EDI@acme.example" }), facts), true);
  assert.equal(ruleMatches(rule({ dns: "EDI.ACME.example" }), facts), true);
  assert.equal(ruleMatches(rule({ dns: "acme.example" }), facts), false, "no suffix matching");
  assert.equal(ruleMatches(rule({ uri: "spiffe://acme.example/edi" }), facts), true);
  assert.equal(ruleMatches(rule({ uri: "spiffe://acme.example/EDI" }), facts), false);
  assert.equal(ruleMatches(rule({ ou: "EDI" }), facts), true);
  assert.equal(ruleMatches(rule({ ou: "Payments" }), facts), false);
});

test("a rule names exactly one thing, and a fingerprint must be SHA-256", () => {
  assert.equal(CertificateRule.safeParse({ ou: "EDI", email: "a@b.c" }).success, false);
  assert.equal(CertificateRule.safeParse({}).success, false);
  assert.equal(CertificateRule.safeParse({ fingerprint: "ABCD" }).success, false);
});
