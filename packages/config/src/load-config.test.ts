import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { booleanFlag, commonEnv, durationMs, portRange, tcpPort } from "./common-schemas.js";
import { ConfigError, parseConfig } from "./load-config.js";

const Schema = z.object({
  ...commonEnv,
  APP_PORT: z.coerce.number().int().min(1),
  APP_RANGE: portRange,
  APP_FLAG: booleanFlag.default(false),
  DB_PASSWORD: z.string().min(12),
  API_TOKEN: z.string().min(12),
  CLIENT_SECRET_VALUE: z.string().min(12),
  SIGNING_KEY: z.string().min(12),
});

const problemsOf = (env: Record<string, string | undefined>): readonly string[] => {
  try {
    parseConfig(Schema, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("the configuration should not have validated");
};

const good = {
  APP_PORT: "8080",
  APP_RANGE: "30000-30010",
  DB_PASSWORD: "correct horse battery",
  API_TOKEN: "tok-0123456789",
  CLIENT_SECRET_VALUE: "secret-0123456789",
  SIGNING_KEY: "key-0123456789",
};

test("config - every bad variable is reported at once, each by name", () => {
  const problems = problemsOf({ APP_PORT: "eighty", APP_RANGE: "40000-30000", WHARF_LOG_LEVEL: "loud", WHARF_NATS_URL: "http://x" });
  const named = (name: string) => problems.filter((p) => p.startsWith(`${name}: `));
  for (const name of ["APP_PORT", "APP_RANGE", "WHARF_LOG_LEVEL", "WHARF_NATS_URL", "DB_PASSWORD", "API_TOKEN", "CLIENT_SECRET_VALUE", "SIGNING_KEY"]) {
    assert.equal(named(name).length, 1, `${name} in ${JSON.stringify(problems)}`);
  }
  assert.equal(problems.length, 8);
});

test("config - the error message lists every problem", () => {
  try {
    parseConfig(Schema, { ...good, APP_PORT: "x", APP_RANGE: "y" });
    assert.fail("should not validate");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.name, "ConfigError");
    assert.match(error.message, /^invalid configuration:\n {2}- APP_PORT: .*\n {2}- APP_RANGE: /);
  }
});

test("config - a bad value is shown, a missing one is said to be unset", () => {
  const problems = problemsOf({ ...good, APP_PORT: "eighty", APP_RANGE: undefined });
  assert.ok(problems.some((p) => p.startsWith("APP_PORT: ") && p.endsWith('(got "eighty")')), JSON.stringify(problems));
  assert.ok(problems.some((p) => p.startsWith("APP_RANGE: ") && p.endsWith("(it is not set)")), JSON.stringify(problems));
});

test("config - values of secret-looking names are hidden", () => {
  const secrets = { DB_PASSWORD: "pw-short", API_TOKEN: "tok-short", CLIENT_SECRET_VALUE: "sec-short", SIGNING_KEY: "key-short" };
  const problems = problemsOf({ ...good, ...secrets });
  assert.equal(problems.length, 4);
  for (const [name, value] of Object.entries(secrets)) {
    const problem = problems.find((p) => p.startsWith(`${name}: `));
    assert.ok(problem, name);
    assert.ok(problem.endsWith("(value hidden)"), problem);
    assert.equal(problem.includes(value), false, problem);
  }
});

test("config - defaults are applied and the output is frozen", () => {
  const config = parseConfig(Schema, good);
  assert.equal(config.WHARF_NATS_URL, "nats://127.0.0.1:14222");
  assert.equal(config.WHARF_LOG_LEVEL, "info");
  assert.equal(config.WHARF_SHUTDOWN_GRACE_MS, 10_000);
  assert.equal(config.APP_FLAG, false);
  assert.equal(config.APP_PORT, 8080);
  assert.deepEqual(config.APP_RANGE, { low: 30000, high: 30010 });
  assert.ok(Object.isFrozen(config));
  assert.throws(() => {
    (config as { APP_PORT: number }).APP_PORT = 1;
  }, TypeError);
});

test("config - variables the schema does not know are ignored", () => {
  const config = parseConfig(Schema, { ...good, PATH: "/usr/bin", HOME: "/root" });
  assert.equal(Object.hasOwn(config, "PATH"), false);
});

test("config - a blank value counts as not set, so the default applies (never 0)", () => {
  const schema = z.object({ WHARF_PORT: tcpPort.default(2121), WHARF_TIMEOUT_MS: durationMs.default(60_000) });
  assert.deepEqual(parseConfig(schema, { WHARF_PORT: "", WHARF_TIMEOUT_MS: "  " }), { WHARF_PORT: 2121, WHARF_TIMEOUT_MS: 60_000 });
});

test("config - a blank required value is reported as not set", () => {
  const schema = z.object({ WHARF_TLS_CERT_FILE: z.string().min(1) });
  assert.throws(
    () => parseConfig(schema, { WHARF_TLS_CERT_FILE: "" }),
    (error: unknown) => error instanceof ConfigError && /WHARF_TLS_CERT_FILE: .*\(it is not set\)/.test(error.problems[0] ?? ""),
  );
});

test("config - nested settings are frozen too", () => {
  const schema = z.object({ A: z.string().default("x") }).transform((env) => ({ port: { a: env.A } }));
  const config = parseConfig(schema, {});
  assert.ok(Object.isFrozen(config.port));
  assert.throws(() => {
    (config.port as { a: string }).a = "changed";
  }, TypeError);
});

test("config - NATS credentials that only go in pairs are named when one half is missing, with every other problem", () => {
  const schema = z.object(commonEnv);
  assert.throws(
    () => parseConfig(schema, { WHARF_NATS_USER: "storage", WHARF_NATS_TLS_CERT_FILE: "/etc/wharf/nats.crt", WHARF_NATS_REPLICAS: "9" }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.some((problem) => problem.startsWith("WHARF_NATS_REPLICAS:")) &&
      error.problems.includes("WHARF_NATS_PASSWORD_FILE: must be set with WHARF_NATS_USER") &&
      error.problems.includes("WHARF_NATS_TLS_KEY_FILE: WHARF_NATS_TLS_CERT_FILE and WHARF_NATS_TLS_KEY_FILE go together") &&
      error.problems.some((problem) => problem.startsWith("WHARF_NATS_TLS_CA_FILE:")),
  );
  assert.doesNotThrow(() => parseConfig(schema, { WHARF_NATS_NKEY_FILE: "/etc/wharf/auth.nk", WHARF_NATS_TLS_CA_FILE: "/etc/wharf/ca.crt" }));
});
