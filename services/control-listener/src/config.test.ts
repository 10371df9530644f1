import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, parseConfig } from "@wharf/config";
import { ListenerConfig } from "./config.js";

const tls = { WHARF_TLS_CERT_FILE: "/etc/wharf/cert.pem", WHARF_TLS_KEY_FILE: "/etc/wharf/key.pem" };

const problemsOf = (env: Record<string, string | undefined>): readonly string[] => {
  try {
    parseConfig(ListenerConfig, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("the configuration should not have validated");
};

test("listener config - a missing certificate file is reported by name", () => {
  const problems = problemsOf({ WHARF_TLS_KEY_FILE: tls.WHARF_TLS_KEY_FILE });
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.match(problems[0] ?? "", /^WHARF_TLS_CERT_FILE: .*\(it is not set\)$/);
});

test("listener config - a bad passive range is reported with the other problems", () => {
  const problems = problemsOf({ ...tls, WHARF_FTP_PASSIVE_PORTS: "31000-30000", WHARF_FTP_UPLOAD_END_POLICY: "loose" });
  assert.equal(problems.length, 2, JSON.stringify(problems));
  assert.ok(problems.some((p) => p === 'WHARF_FTP_PASSIVE_PORTS: must be within 1024-65535 with low <= high (got "31000-30000")'), JSON.stringify(problems));
  assert.ok(problems.some((p) => p.startsWith("WHARF_FTP_UPLOAD_END_POLICY: ")), JSON.stringify(problems));
  assert.match(problemsOf({ ...tls, WHARF_FTP_PASSIVE_PORTS: "30000" })[0] ?? "", /^WHARF_FTP_PASSIVE_PORTS: must be "low-high"/);
});

test("listener config - defaults give the documented port settings", () => {
  const config = parseConfig(ListenerConfig, tls);
  assert.equal(config.port.port, 2121);
  assert.equal(config.port.alias, "ftps");
  assert.deepEqual(config.port.passivePorts, { low: 30000, high: 30999 });
  assert.equal(config.port.secureClientsOnly, true);
  assert.equal(config.port.requireProtectedData, true);
  assert.equal(config.port.uploadEndPolicy, "lenient");
  assert.equal(config.port.maxLineBytes, 4096);
  assert.equal(config.port.certFile, tls.WHARF_TLS_CERT_FILE);
  assert.equal(config.natsUrl, "nats://127.0.0.1:14222");
  assert.equal(config.storageAddress, "127.0.0.1:50151");
});

test("listener config - variables override the defaults", () => {
  const config = parseConfig(ListenerConfig, {
    ...tls,
    WHARF_FTP_PORT: "990",
    WHARF_FTP_PASSIVE_PORTS: "50000-50009",
    WHARF_FTP_SECURE_CLIENTS_ONLY: "no",
    WHARF_FTP_UPLOAD_END_POLICY: "strict",
  });
  assert.equal(config.port.port, 990);
  assert.deepEqual(config.port.passivePorts, { low: 50000, high: 50009 });
  assert.equal(config.port.secureClientsOnly, false);
  assert.equal(config.port.uploadEndPolicy, "strict");
});

test("listener config - a bad port alias is refused", () => {
  const problems = problemsOf({ ...tls, WHARF_FTP_PORT_ALIAS: "my port" });
  assert.match(problems[0] ?? "", /^WHARF_FTP_PORT_ALIAS: must be 1-255 of/);
});

test("listener config - TLS modes: a plain port needs no certificate and requires no TLS; TLS modes need one", () => {
  const plain = parseConfig(ListenerConfig, { WHARF_FTP_TLS_MODE: "none" });
  assert.equal(plain.port.tlsMode, "none");
  assert.equal(plain.port.secureClientsOnly, false);
  assert.equal(plain.port.requireProtectedData, false);
  assert.deepEqual(
    problemsOf({ WHARF_FTP_TLS_MODE: "none", WHARF_FTP_SECURE_CLIENTS_ONLY: "true" }).map((p) => p.split(":")[0]),
    ["WHARF_FTP_SECURE_CLIENTS_ONLY"],
  );
  assert.match(problemsOf({ WHARF_FTP_TLS_MODE: "implicit" }).join("\n"), /WHARF_TLS_CERT_FILE: is required when WHARF_FTP_TLS_MODE is implicit/);
  assert.match(problemsOf({ ...tls, WHARF_FTP_TLS_MODE: "ssl" })[0] ?? "", /^WHARF_FTP_TLS_MODE: /);
});
