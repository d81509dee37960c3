import { cloneJson, isPlainObject, jsonEqual } from "./kube-object.js";
import { badRequest, StatusError } from "./status-error.js";

/** One RFC 6902 operation. */
export type JsonPatchOperation =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "move" | "copy"; from: string; path: string };

const OPS = new Set(["add", "replace", "test", "remove", "move", "copy"]);

/**
 * Applies an RFC 6902 JSON Patch to a copy of `document` and returns the copy. A malformed
 * patch is a 400; an operation that cannot apply (missing path, failed `test`) is a 422, as the
 * API server answers.
 */
export function applyJsonPatch<T>(document: T, patch: unknown): T {
  const operations = parseOperations(patch);
  let result: unknown = cloneJson(document);
  for (const [index, operation] of operations.entries()) {
    try {
      result = applyOperation(result, operation);
    } catch (error: unknown) {
      if (error instanceof PatchApplyError) {
        throw new StatusError(
          422,
          `the server rejected our request: json patch operation ${index} (${operation.op} ${operation.path}): ${error.message}`,
          "Invalid",
        );
      }
      throw error;
    }
  }
  return result as T;
}

class PatchApplyError extends Error {}

function parseOperations(patch: unknown): JsonPatchOperation[] {
  if (!Array.isArray(patch)) throw badRequest("json patch must be an array of operations");
  return patch.map((raw, index) => {
    if (!isPlainObject(raw) || typeof raw.op !== "string" || !OPS.has(raw.op) || typeof raw.path !== "string") {
      throw badRequest(
        `json patch operation ${index} is malformed: needs "op" (add, remove, replace, move, copy, test) and "path"`,
      );
    }
    if ((raw.op === "move" || raw.op === "copy") && typeof raw.from !== "string") {
      throw badRequest(`json patch operation ${index} (${raw.op}) needs "from"`);
    }
    if ((raw.op === "add" || raw.op === "replace" || raw.op === "test") && !("value" in raw)) {
      throw badRequest(`json patch operation ${index} (${raw.op}) needs "value"`);
    }
    return raw as JsonPatchOperation;
  });
}

/** Splits an RFC 6901 pointer into unescaped tokens. */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw badRequest(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function applyOperation(document: unknown, operation: JsonPatchOperation): unknown {
  switch (operation.op) {
    case "add":
      return add(document, parseJsonPointer(operation.path), cloneJson(operation.value));
    case "remove":
      return remove(document, parseJsonPointer(operation.path)).document;
    case "replace": {
      const tokens = parseJsonPointer(operation.path);
      get(document, tokens); // must exist
      return set(document, tokens, cloneJson(operation.value));
    }
    case "test":
      if (!jsonEqual(get(document, parseJsonPointer(operation.path)), operation.value)) {
        throw new PatchApplyError("test failed: value differs");
      }
      return document;
    case "move": {
      const removed = remove(document, parseJsonPointer(operation.from));
      return add(removed.document, parseJsonPointer(operation.path), removed.value);
    }
    case "copy":
      return add(
        document,
        parseJsonPointer(operation.path),
        cloneJson(get(document, parseJsonPointer(operation.from))),
      );
  }
}

function get(document: unknown, tokens: string[]): unknown {
  let current = document;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      const index = arrayIndex(token, current.length - 1);
      current = current[index];
    } else if (isPlainObject(current) && Object.hasOwn(current, token)) {
      current = current[token];
    } else {
      throw new PatchApplyError(`path not found at "${token}"`);
    }
  }
  return current;
}

function parentOf(document: unknown, tokens: string[]): { parent: unknown; last: string } {
  const last = tokens.at(-1);
  if (last === undefined) throw new PatchApplyError("the root cannot be the target of this operation");
  return { parent: get(document, tokens.slice(0, -1)), last };
}

function add(document: unknown, tokens: string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(document, tokens);
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : arrayIndex(last, parent.length);
    parent.splice(index, 0, value);
  } else if (isPlainObject(parent)) {
    parent[last] = value;
  } else {
    throw new PatchApplyError(`cannot add "${last}" to a scalar`);
  }
  return document;
}

function set(document: unknown, tokens: string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(document, tokens);
  if (Array.isArray(parent)) parent[arrayIndex(last, parent.length - 1)] = value;
  else if (isPlainObject(parent)) parent[last] = value;
  return document;
}

function remove(document: unknown, tokens: string[]): { document: unknown; value: unknown } {
  const value = get(document, tokens);
  const { parent, last } = parentOf(document, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length - 1), 1);
  else if (isPlainObject(parent)) delete parent[last];
  return { document, value };
}

function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchApplyError(`"${token}" is not an array index`);
  const index = Number(token);
  if (index > max) throw new PatchApplyError(`array index ${index} out of bounds`);
  return index;
}
