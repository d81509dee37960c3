import { cloneJson, isPlainObject } from "./kube-object.js";

/**
 * RFC 7386 JSON Merge Patch: objects merge recursively, `null` deletes a key, anything else
 * (arrays included) replaces. Returns a new value; inputs are not modified.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * An approximation of Kubernetes strategic merge patch, without the per-field schema: like a
 * merge patch, except that lists whose items are all objects with a `name` (containers, env,
 * ports, volumes...) merge item by item on that key, and `$patch: delete` / `$patch: replace`
 * directives are honoured. Other `$`-directives (`$setElementOrder/...`, `$retainKeys`) are
 * dropped. Good enough for `kubectl set image`, `kubectl scale` and the satellite's patches.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch)) return mergeList(target, patch);
  if (!isPlainObject(patch)) return cloneJson(patch);
  if (patch.$patch === "replace") return stripDirectives(patch);
  if (patch.$patch === "delete") return undefined;
  const result: Record<string, unknown> = isPlainObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const merged = applyStrategicMergePatch(result[key], value);
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  }
  return result;
}

function mergeList(target: unknown, patch: unknown[]): unknown[] {
  const keyed = (items: unknown[]) => items.every((item) => isPlainObject(item) && typeof item.name === "string");
  if (!Array.isArray(target) || !keyed(patch) || !keyed(target)) {
    return patch.filter((item) => !(isPlainObject(item) && item.$patch === "delete")).map(stripDirectives);
  }
  const result = cloneJson(target) as Record<string, unknown>[];
  for (const item of patch as Record<string, unknown>[]) {
    const index = result.findIndex((existing) => existing.name === item.name);
    if (item.$patch === "delete") {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = applyStrategicMergePatch(result[index], item) as Record<string, unknown>;
    } else {
      result.push(stripDirectives(item) as Record<string, unknown>);
    }
  }
  return result;
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith("$"))
      .map(([key, item]) => [key, stripDirectives(item)]),
  );
}
