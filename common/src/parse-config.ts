import type { z } from "zod";

/**
 * Parses a component's configuration once, from an environment-like record, into a frozen typed
 * object. Every problem is reported at once, naming the variable, so a user fixes them in one go.
 */
export function parseConfig<S extends z.ZodType>(
  component: string,
  schema: S,
  env: Record<string, string | undefined>,
): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const variable = issue.path.join(".") || "(environment)";
      return `  ${variable}: ${issue.message}`;
    });
    throw new Error(`${component}: invalid configuration\n${lines.join("\n")}`);
  }
  return Object.freeze(result.data);
}
