import assert from "node:assert/strict";
import { test } from "node:test";
import { describeIssues } from "./ports.js";
import { EndpointConfig, globMatches, PipelineConfig, pipelineMatches } from "./outbound.js";
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
