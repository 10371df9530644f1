import type { z } from "zod";
import { pairedVariableProblems } from "./common-schemas.js";

/** A configuration that did not validate; `problems` names every bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY$/;

/**
 * Validates environment variables against a zod schema whose keys are the
 * variable names, and returns the schema's (camelCased, deeply frozen) output.
 * A variable set to an empty or blank value counts as not set.
 * Every problem is reported at once, so an operator fixes them in one go.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  // A variable set to nothing (FOO= in a compose file or a shell) means "not set": its default applies,
  // instead of "" being coerced to 0 (a random port, a zero timeout).
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""));
  const result = schema.safeParse(given);
  // The NATS credentials are read by every service and the CLI; their pairs are checked here, once.
  const pairs = pairedVariableProblems(given).map(({ path, message }) => `${path}: ${message}`);
  if (result.success && pairs.length === 0) return deepFreeze(result.data) as z.output<S>;
  const issues = result.success ? [] : result.error.issues;
  const problems = issues.map((issue) => {
    const name = issue.path.map(String).join(".") || "(environment)";
    const raw = typeof issue.path[0] === "string" ? given[issue.path[0]] : undefined;
    if (raw === undefined) return `${name}: ${issue.code === "invalid_type" ? "is required" : issue.message} (it is not set)`;
    const shown = SECRET_NAME.test(name) ? "value hidden" : `got ${JSON.stringify(raw)}`;
    return `${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError([...problems, ...pairs]);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Like parseConfig, for a service's main: on bad input it prints one message
 * naming every bad field and exits with status 78 (EX_CONFIG).
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.output<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    return exitOnConfigError(error);
  }
}

/**
 * For a main's later configuration steps (a file its variables name, read
 * after loadConfig): a ConfigError is printed and exits 78 as loadConfig's
 * do; anything else is thrown on.
 */
export function exitOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(78);
}
