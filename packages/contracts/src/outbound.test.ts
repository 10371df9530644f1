import assert from "node:assert/strict";
import { test } from "node:test";
import { describeIssues } from "./ports.js";
import { EndpointConfig, EndpointFileConfig, globMatches, PipelineConfig, pipelineMatches } from "./outbound.js";
import { sealedPlaceholder } from "./secret-ref.js";
import { WharfConfigFile } from "./config-file.js";

test("outbound - globs match names with * and ?, literally otherwise", () => {
  assert.ok(globMatches("*.csv", "report.csv"));
  assert.ok(!globMatches("*.csv", "report.csv.part"));
  assert.ok(globMatches("inv-????.xml", "inv-2024.xml"));
  assert.ok(!globMatches("inv-????.xml", "inv-24.xml"));
  assert.ok(globMatches("a+b(1).txt", "a+b(1).txt"), "regex characters are literal");
  assert.ok(!globMatches("a.txt", "abtxt"));
});

test("outbound - a pipeline's source: root, uploader, the folder and below, and the glob", () => {
  const pipeline = PipelineConfig.parse({ name: "p", source: { root: "acme", user: "alice", folder: "/out/", glob: "*.csv" }, target: "e" });
  const file = { root: "acme", user: "alice", path: "/out/2024/x.csv" };
  assert.ok(pipelineMatches(pipeline, file));
  assert.ok(pipelineMatches(pipeline, { ...file, path: "/out/x.csv" }));
  assert.ok(!pipelineMatches(pipeline, { ...file, path: "/outbox/x.csv" }), "a sibling folder with the same prefix is not inside");
  assert.ok(!pipelineMatches(pipeline, { ...file, root: "other" }));
  assert.ok(!pipelineMatches(pipeline, { ...file, user: "bob" }));
  assert.ok(!pipelineMatches(pipeline, { ...file, path: "/out/x.txt" }));
  assert.ok(!pipelineMatches({ ...pipeline, enabled: false }, file));
  assert.ok(pipelineMatches(PipelineConfig.parse({ name: "all", target: "e" }), { root: "any", user: "any", path: "/deep/down/f" }));
});

test("outbound - endpoints: secrets by reference only, coherent trust, named problems", () => {
  const ok = EndpointConfig.parse({ name: "acme", host: "ftp.acme.example", user: "u", password: { env: "ACME_PW" }, trust: { fingerprint: `${"ab:".repeat(31)}ab` } });
  assert.equal(ok.trust.fingerprint, "AB".repeat(32));
  assert.equal(ok.port, 21);
  const bad = EndpointConfig.safeParse({ name: "x y", host: "h", user: "u", password: "in clear", tls: "none", trust: { insecure: true } });
  assert.ok(!bad.success);
  const problems = describeIssues(bad.error).join("\n");
  assert.match(problems, /name/);
  assert.match(problems, /password/);
  assert.match(EndpointConfig.safeParse({ name: "e", host: "h", user: "u", tls: "none", trust: { insecure: true } }).error?.message ?? "", /no certificate to trust/);
  assert.match(EndpointConfig.safeParse({ name: "e", host: "h", user: "u", trust: { insecure: true, caFile: "/ca.pem" } }).error?.message ?? "", /cannot go with/);
  assert.ok(!EndpointConfig.safeParse({ name: "e", host: "h", user: "u", remoteFolder: "/a/../b" }).success);
});

test("outbound - a config file's pipelines must name its endpoints, and names are unique", () => {
  const parsed = WharfConfigFile.safeParse({
    endpoints: [{ name: "e", host: "h", user: "u" }, { name: "e", host: "h2", user: "u" }],
    pipelines: [{ name: "p", target: "missing" }],
  });
  assert.ok(!parsed.success);
  const problems = describeIssues(parsed.error).join("\n");
  assert.match(problems, /endpoints\[1\]\.name.*already used/);
  assert.match(problems, /pipelines\[0\]\.target.*names no endpoint/);
});

const sealed = { v: 1, kid: "0123456789abcdef", dek: "ZGVr", iv: "aXY=", ct: "Y3Q=" };

test("outbound - secrets: the bucket holds references or sealed secrets, never a value", () => {
  const base = { name: "e", host: "h", user: "u" };
  assert.deepEqual(EndpointConfig.parse({ ...base, password: { sealed } }).password, { sealed });
  assert.ok(EndpointConfig.parse({ ...base, password: { file: "/run/secrets/pw" } }).password?.file);
  const clear = EndpointConfig.safeParse({ ...base, password: { value: "in clear" } });
  assert.ok(!clear.success);
  assert.match(describeIssues(clear.error).join("\n"), /password: Unrecognized key: "value"/);
  assert.match(describeIssues(EndpointConfig.safeParse({ ...base, password: { env: "A", sealed } }).error ?? assert.fail()).join("\n"), /give exactly one of env, file, sealed/);
  assert.ok(!EndpointConfig.safeParse({ ...base, password: sealedPlaceholder(sealed.kid) }).success, "the dump's placeholder is for files only");
  assert.ok(!EndpointConfig.safeParse({ ...base, password: { sealed: { ...sealed, kid: "KEY" } } }).success);
});

test("outbound - secrets: the file gives env, file, a value, or the dump's placeholder; never a sealed secret or a bare string", () => {
  const base = { name: "e", host: "h", user: "u" };
  assert.deepEqual(EndpointFileConfig.parse({ ...base, password: { value: "pw" } }).password, { value: "pw" });
  assert.equal(EndpointFileConfig.parse({ ...base, password: "<sealed: 0123456789abcdef>" }).password, "<sealed: 0123456789abcdef>");
  const problems = (password: unknown) => {
    const result = EndpointFileConfig.safeParse({ ...base, password });
    return result.success ? "" : describeIssues(result.error).join("\n");
  };
  assert.match(problems("in clear"), /password: must be \{ env \}, \{ file \} or \{ value \}/);
  assert.match(problems({ value: "pw", env: "PW" }), /give exactly one of env, file, value/);
  assert.match(problems({ sealed }), /Unrecognized key: "sealed"/);
  assert.match(problems({ value: "" }), /password/);
});

test("outbound - client certificates: the certificate by file or PEM, the key by file or as a secret", () => {
  const base = { name: "e", host: "h", user: "u" };
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  assert.ok(EndpointFileConfig.safeParse({ ...base, clientCertificate: { certFile: "/c.pem", keyFile: "/k.pem" } }).success);
  assert.ok(EndpointFileConfig.safeParse({ ...base, clientCertificate: { cert: pem, key: { value: "-----BEGIN PRIVATE KEY-----" } } }).success);
  assert.ok(EndpointConfig.safeParse({ ...base, clientCertificate: { certFile: "/c.pem", key: { sealed } } }).success);
  const problems = (clientCertificate: unknown) => {
    const result = EndpointFileConfig.safeParse({ ...base, clientCertificate });
    return result.success ? "" : describeIssues(result.error).join("\n");
  };
  assert.match(problems({ certFile: "/c.pem" }), /clientCertificate: give exactly one of keyFile, key/);
  assert.match(problems({ certFile: "/c.pem", cert: pem, keyFile: "/k" }), /clientCertificate: give exactly one of certFile, cert/);
  assert.match(problems({ cert: "not pem", keyFile: "/k" }), /must be a PEM certificate/);
});
