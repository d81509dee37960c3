import { badRequest } from "./status-error.js";

/** One parsed field requirement: a dotted path compared to a string. */
export interface FieldRequirement {
  path: string[];
  op: "=" | "!=";
  value: string;
}

/** A parsed field selector; all requirements must hold. */
export type FieldSelector = readonly FieldRequirement[];

/**
 * Parses the `fieldSelector` query syntax (`metadata.name=x,metadata.namespace!=y`). The real
 * server only allows a few fields per kind; the simulation accepts any dotted path, which is
 * enough for the `metadata.name` selector informers use.
 */
export function parseFieldSelector(text: string | null | undefined): FieldSelector {
  if (!text?.trim()) return [];
  return text.split(",").map((part) => {
    const match = /^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!match) throw badRequest(`invalid field selector requirement "${part}"`);
    const [, path = "", op, value = ""] = match;
    return { path: path.split("."), op: op === "!=" ? "!=" : "=", value };
  });
}

/** True when `object` satisfies every requirement (missing fields compare as ""). */
export function matchesFieldSelector(selector: FieldSelector, object: unknown): boolean {
  return selector.every((req) => {
    let current: unknown = object;
    for (const segment of req.path) {
      current =
        typeof current === "object" && current !== null ? (current as Record<string, unknown>)[segment] : undefined;
    }
    const actual = current === undefined || current === null ? "" : String(current);
    return req.op === "=" ? actual === req.value : actual !== req.value;
  });
}
