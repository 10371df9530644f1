import type { z } from "zod";

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
 * variable names, and returns the schema's (camelCased, frozen) output.
 * Every problem is reported at once, so an operator fixes them in one go.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return Object.freeze(result.data) as z.output<S>;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join(".") || "(environment)";
    const raw = typeof issue.path[0] === "string" ? env[issue.path[0]] : undefined;
    const shown = raw === undefined ? "it is not set" : SECRET_NAME.test(name) ? "value hidden" : `got ${JSON.stringify(raw)}`;
    return `${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}

/**
 * Like parseConfig, for a service's main: on bad input it prints one message
 * naming every bad field and exits with status 78 (EX_CONFIG).
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.output<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
}
