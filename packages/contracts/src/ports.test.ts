import assert from "node:assert/strict";
import { test } from "node:test";
import { WharfConfigFile } from "./config-file.js";
import { describeIssues, PortConfig } from "./ports.js";

const tls = { certFile: "/etc/wharf/cert.pem", keyFile: "/etc/wharf/key.pem" };

test("ports - a minimal explicit-FTPS port gets the documented defaults", () => {
  const port = PortConfig.parse({ alias: "partners", port: 2990, tls });
  assert.equal(port.enabled, true);
  assert.equal(port.tlsMode, "explicit");
  assert.equal(port.bindAddress, "0.0.0.0");
  assert.equal(port.passive.ports, "30000-30999");
  assert.equal(port.tls.minVersion, "TLSv1.2");
  assert.equal(port.limits.maxSessionsPerIp, 20);
  assert.equal(port.requireTlsSessionReuse, true);
});

test("ports - every problem is named by its place in the file", () => {
  const result = WharfConfigFile.safeParse({
    ports: [
      { alias: "ok", port: 2990, tls },
      { alias: "bad alias!", port: 70000, tlsMode: "explicit", passive: { ports: "10-5" }, ipAccess: { deny: ["300.1.1.1"] }, surprise: true },
      { alias: "OK", port: 2990, tls },
      { alias: "plain", port: 2121, tlsMode: "none", secureClientsOnly: true },
    ],
  });
  assert.equal(result.success, false);
  const problems = result.success ? [] : describeIssues(result.error);
  const places = problems.map((problem) => problem.split(":")[0]);
  for (const place of ["ports[1].alias", "ports[1].port", "ports[1].passive.ports", "ports[1].ipAccess.deny[0]", "ports[1]", "ports[3].secureClientsOnly"]) {
    assert.ok(places.includes(place), `${place} in ${JSON.stringify(problems)}`);
  }
});

test("ports - aliases are unique (ignoring case) and two enabled ports cannot share an address and port", () => {
  const result = WharfConfigFile.safeParse({
    ports: [
      { alias: "one", port: 2990, tls },
      { alias: "ONE", port: 2991, tls },
      { alias: "two", port: 2990, tls },
      { alias: "three", port: 2990, tls, enabled: false },
    ],
  });
  const problems = result.success ? [] : describeIssues(result.error);
  assert.deepEqual(problems, ["ports[1].alias: is already used by ports[0]", "ports[2].port: 0.0.0.0:2990 is already used by ports[0]"]);
});

test("users - a quota names bytes, files or both, each a positive whole number", async () => {
  const { UserRecord } = await import("./users.js");
  const problems = (quota: unknown) => {
    const result = UserRecord.safeParse({ name: "acme", home: "acme", quota });
    return result.success ? [] : describeIssues(result.error);
  };
  assert.deepEqual(problems({ bytes: 1_000, files: 10 }), []);
  assert.match(problems({}).join(), /quota: give bytes, files or both/);
  assert.match(problems({ bytes: 0 }).join(), /quota\.bytes/);
  assert.match(problems({ megabytes: 5 }).join(), /quota/);
});

test("ports - TLS ports need a certificate and key; certificate modes need a CA bundle and TLS; a shared root needs its folder", () => {
  const problems = (value: unknown) => {
    const result = PortConfig.safeParse(value);
    return result.success ? [] : describeIssues(result.error);
  };
  assert.deepEqual(problems({ alias: "implicit", port: 990, tlsMode: "implicit" }), ["tls.certFile: is required for tlsMode implicit", "tls.keyFile: is required for tlsMode implicit"]);
  assert.match(problems({ alias: "mtls", port: 990, tls: { ...tls, clientAuth: "require" } }).join(), /tls.caFile: is required for clientAuth require/);
  assert.match(problems({ alias: "plain", port: 21, tlsMode: "none", tls: { clientAuth: "request", caFile: "/ca.pem" } }).join(), /tls.clientAuth: cannot be request on a plain port/);
  assert.match(problems({ alias: "shared", port: 21, tls, userDirectory: false }).join(), /defaultRoot: is required when userDirectory is false/);
  assert.deepEqual(problems({ alias: "mtls", port: 990, tls: { ...tls, clientAuth: "require", caFile: "/ca.pem" } }), []);
  assert.match(problems({ alias: "v", port: 990, tls: { ...tls, minVersion: "TLSv1.3", maxVersion: "TLSv1.2" } }).join(), /tls.maxVersion: is below minVersion/);
  assert.match(problems({ alias: "old", port: 990, tls: { ...tls, minVersion: "TLSv1" } }).join(), /tls.minVersion/);
});
