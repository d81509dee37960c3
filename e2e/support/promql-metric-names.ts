/**
 * Words PromQL reserves or that name an aggregation: never metric names, even when not followed
 * by `(` (`sum by (le) (…)` puts `by` between the operator and its parenthesis).
 */
const NOT_METRIC_NAMES: ReadonlySet<string> = new Set([
  // binary and set operators, modifiers
  "and",
  "or",
  "unless",
  "atan2",
  "bool",
  "offset",
  // vector matching and grouping (their label lists are skipped with them)
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  // aggregation operators
  "sum",
  "min",
  "max",
  "avg",
  "group",
  "stddev",
  "stdvar",
  "count",
  "count_values",
  "bottomk",
  "topk",
  "quantile",
  "limitk",
  "limit_ratio",
  // number literals spelt as words
  "inf",
  "nan",
]);

/** Keywords followed by a parenthesised list of label names, not of expressions. */
const LABEL_LIST_KEYWORDS: ReadonlySet<string> = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
]);

const IDENTIFIER_START = /[A-Za-z_:]/;
const IDENTIFIER_PART = /[A-Za-z0-9_:]/;

/**
 * The metric names a PromQL expression selects, in order of first appearance, without repeats.
 *
 * A small lexer, not a parser: it skips string literals, label matchers (`{…}`, except an exact
 * `__name__="…"`), ranges and subqueries (`[…]`), numbers and durations, Grafana variables
 * (`$x`, `${x}`, `[[x]]`), function names (an identifier before `(`), keywords and aggregation
 * operators, and the label lists of `by`, `without`, `on`, `ignoring`, `group_left` and
 * `group_right`. Every other identifier is a metric name. Good enough for dashboards, which is
 * all it is for; it does not validate syntax.
 */
export function metricNamesInPromQL(expr: string): string[] {
  const names: string[] = [];
  const add = (name: string) => {
    if (!names.includes(name)) names.push(name);
  };
  let at = 0;
  while (at < expr.length) {
    const char = expr[at] as string;
    if (char === '"' || char === "'" || char === "`") {
      at = skipString(expr, at);
    } else if (char === "#") {
      // A comment runs to the end of the line.
      const end = expr.indexOf("\n", at);
      at = end === -1 ? expr.length : end;
    } else if (char === "{") {
      const end = closingIndex(expr, at, "{", "}");
      const byName = /__name__\s*=\s*"([^"]+)"/.exec(expr.slice(at, end));
      if (byName) add(byName[1] as string);
      at = end + 1;
    } else if (char === "[") {
      at = closingIndex(expr, at, "[", "]") + 1;
    } else if (char === "$") {
      at = skipVariable(expr, at);
    } else if (/[0-9.]/.test(char)) {
      // Numbers, hex, exponents and durations (5m, 1h30m) alike: a run of word characters.
      at = skipNumber(expr, at);
    } else if (IDENTIFIER_START.test(char)) {
      const end = skipWhile(expr, at, (c) => IDENTIFIER_PART.test(c));
      const word = expr.slice(at, end);
      const next = skipWhile(expr, end, (c) => /\s/.test(c));
      const lower = word.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower) && expr[next] === "(") {
        at = closingIndex(expr, next, "(", ")") + 1;
      } else {
        if (!NOT_METRIC_NAMES.has(lower) && expr[next] !== "(") add(word);
        at = end;
      }
    } else {
      at += 1;
    }
  }
  return names;
}

/**
 * The metric names a Grafana Prometheus variable query uses: `label_values(<selector>, <label>)`
 * (the selector's), `label_values(<label>)` (none), `query_result(<expr>)` (the expression's);
 * anything else is read as PromQL.
 */
export function metricNamesInVariableQuery(query: string): string[] {
  const trimmed = query.trim();
  const labelValues = /^label_values\(\s*(.*?)\s*\)$/s.exec(trimmed);
  if (labelValues) {
    const args = labelValues[1] as string;
    const lastComma = args.lastIndexOf(",");
    return lastComma === -1 ? [] : metricNamesInPromQL(args.slice(0, lastComma));
  }
  const queryResult = /^query_result\(\s*(.*)\s*\)$/s.exec(trimmed);
  return metricNamesInPromQL(queryResult ? (queryResult[1] as string) : trimmed);
}

function skipWhile(text: string, from: number, keep: (char: string) => boolean): number {
  let at = from;
  while (at < text.length && keep(text[at] as string)) at += 1;
  return at;
}

/** The index just past a number or duration at `from`: a run of word characters and dots, signed exponents included. */
function skipNumber(text: string, from: number): number {
  let at = from;
  while (at < text.length) {
    const char = text[at] as string;
    const signedExponent =
      (char === "+" || char === "-") && /^0x/i.test(text.slice(from, at)) === false && /[eE]/.test(text[at - 1] ?? "");
    if (!/[0-9A-Za-z_.]/.test(char) && !signedExponent) break;
    at += 1;
  }
  return at;
}

/** The index just past a string literal starting at `from` (backslash escapes, except in backticks). */
function skipString(text: string, from: number): number {
  const quote = text[from];
  let at = from + 1;
  while (at < text.length && text[at] !== quote) at += quote !== "`" && text[at] === "\\" ? 2 : 1;
  return at + 1;
}

/** `$name`, `${name}` or `${name:format}`: the index just past it. */
function skipVariable(text: string, from: number): number {
  if (text[from + 1] === "{") {
    const end = text.indexOf("}", from);
    return end === -1 ? text.length : end + 1;
  }
  return skipWhile(text, from + 1, (c) => /[A-Za-z0-9_]/.test(c));
}

/** The index of the bracket closing the one at `from`, string literals skipped; the end if none. */
function closingIndex(text: string, from: number, open: string, close: string): number {
  let depth = 0;
  let at = from;
  while (at < text.length) {
    const char = text[at] as string;
    if (char === '"' || char === "'" || char === "`") {
      at = skipString(text, at);
      continue;
    }
    if (char === open) depth += 1;
    else if (char === close) {
      depth -= 1;
      if (depth === 0) return at;
    }
    at += 1;
  }
  return text.length;
}
