import { badRequest } from "./status-error.js";

/** One parsed requirement of a label selector. */
export type LabelRequirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

/** A parsed label selector: all requirements must hold (an empty selector matches everything). */
export type LabelSelector = readonly LabelRequirement[];

/**
 * Parses the `labelSelector` query syntax: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`,
 * `a notin (x,y)`, joined by commas. A malformed selector is a 400, as the API server answers.
 */
export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  if (!text?.trim()) return [];
  return splitTopLevel(text).map(parseRequirement);
}

/** True when `labels` satisfy every requirement. */
export function matchesLabelSelector(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const all = labels ?? {};
  return selector.every((req) => matchesRequirement(req, all));
}

function matchesRequirement(req: LabelRequirement, all: Record<string, string>): boolean {
  const has = Object.hasOwn(all, req.key);
  const value = all[req.key];
  switch (req.op) {
    case "=":
      return has && value === req.value;
    case "!=":
      return !has || value !== req.value;
    case "in":
      return has && req.values.includes(value ?? "");
    case "notin":
      return !has || !req.values.includes(value ?? "");
    case "exists":
      return has;
    case "!exists":
      return !has;
  }
}

/** Formats `matchLabels` as a selector string (`a=b,c=d`), the form `Scale.status.selector` uses. */
export function formatMatchLabels(matchLabels: Record<string, string> | undefined): string {
  return Object.entries(matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

const KEY = "[A-Za-z0-9][-A-Za-z0-9_./]*";
const VALUE = "[-A-Za-z0-9_.]*";
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const EXISTS = new RegExp(`^(!?)\\s*(${KEY})$`);

function parseRequirement(text: string): LabelRequirement {
  const equality = EQUALITY.exec(text);
  if (equality) {
    const [, key = "", op, value = ""] = equality;
    return { key, op: op === "!=" ? "!=" : "=", value };
  }
  const set = SET.exec(text);
  if (set) {
    const [, key = "", op, values = ""] = set;
    return {
      key,
      op: op === "in" ? "in" : "notin",
      values: values
        .split(",")
        .map((value) => value.trim())
        .filter((value) => value.length > 0),
    };
  }
  const exists = EXISTS.exec(text);
  if (exists) {
    const [, bang, key = ""] = exists;
    return { key, op: bang ? "!exists" : "exists" };
  }
  throw badRequest(`unable to parse requirement: "${text}" is not a valid label selector requirement`);
}
