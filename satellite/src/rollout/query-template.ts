import { SentraError } from "@sentra/common";

/** Placeholders a gate query may use, written `{{name}}` (spaces inside the braces allowed). */
export const QUERY_TEMPLATE_VARIABLES = ["service", "version", "namespace", "window"] as const;

/** One of {@link QUERY_TEMPLATE_VARIABLES}. */
export type QueryTemplateVariable = (typeof QUERY_TEMPLATE_VARIABLES)[number];

/** The values a query template is rendered with. */
export interface QueryTemplateValues {
  /** Service name, e.g. `checkout`; inserted as an escaped string-literal body. */
  readonly service: string;
  /** Version under test (the canary / green version), e.g. `v2`; escaped like `service`. */
  readonly version: string;
  /** Kubernetes namespace of the service; escaped like `service`. */
  readonly namespace: string;
  /** Sliding window, in whole seconds; rendered as a duration such as `30s`. */
  readonly windowSeconds: number;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Escapes a value for the inside of a double-quoted string literal in PromQL, LogQL or TraceQL
 * (all three follow Go string syntax), so a label value can never close the literal and inject
 * query text.
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n\r\t]/g, (ch) => {
    switch (ch) {
      case "\\":
        return "\\\\";
      case '"':
        return '\\"';
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      default:
        return "\\t";
    }
  });
}

/** Formats a window as a PromQL/LogQL duration, e.g. `30` → `30s`. */
export function formatWindow(windowSeconds: number): string {
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) {
    throw SentraError.invalidArgument(
      "windowSeconds",
      `must be a positive whole number of seconds, got ${windowSeconds}`,
    );
  }
  return `${windowSeconds}s`;
}

/** Names of the placeholders in a template that are not {@link QUERY_TEMPLATE_VARIABLES}, in order. */
export function unknownTemplateVariables(template: string): string[] {
  const known: readonly string[] = QUERY_TEMPLATE_VARIABLES;
  const unknown: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? "";
    if (!known.includes(name) && !unknown.includes(name)) unknown.push(name);
  }
  return unknown;
}

/**
 * Renders `{{service}}`, `{{version}}`, `{{namespace}}` and `{{window}}` in a gate query. Label
 * values are escaped for a double-quoted literal, so templates must quote them
 * (`service="{{service}}"`). An unknown placeholder is an error rather than left in place: a typo
 * would otherwise produce a query that silently matches nothing.
 */
export function renderQueryTemplate(template: string, values: QueryTemplateValues): string {
  const unknown = unknownTemplateVariables(template);
  if (unknown.length > 0) {
    throw SentraError.invalidArgument(
      "query",
      `unknown template variable ${unknown.map((name) => `{{${name}}}`).join(", ")}; known: ${QUERY_TEMPLATE_VARIABLES.join(", ")}`,
    );
  }
  const window = formatWindow(values.windowSeconds);
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    switch (name as QueryTemplateVariable) {
      case "service":
        return escapeLabelValue(values.service);
      case "version":
        return escapeLabelValue(values.version);
      case "namespace":
        return escapeLabelValue(values.namespace);
      case "window":
        return window;
    }
  });
}
