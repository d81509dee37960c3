import { isPlainObject, type KubeObject } from "./kube-object.js";
import type { ResourceKind, SubresourceHandler, TableColumn } from "./resource-kind.js";
import { invalid } from "./status-error.js";
import { ageCell } from "./table.js";

/** The parts of an `apiextensions.k8s.io/v1` CustomResourceDefinition the simulation serves from. */
export interface CustomResourceDefinition {
  spec: {
    group: string;
    scope: "Namespaced" | "Cluster";
    names: { kind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      subresources?: { status?: object };
      additionalPrinterColumns?: {
        name: string;
        type: TableColumn["type"];
        jsonPath: string;
        description?: string;
        priority?: number;
      }[];
      schema?: { openAPIV3Schema?: JsonSchema };
    }[];
  };
}

/** The structural-schema subset CRDs use here. */
export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  maxLength?: number;
  minimum?: number;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  [key: string]: unknown;
}

/**
 * Serves a custom resource as the API server serves an installed CRD: its names and short names
 * in discovery, the status subresource, `kubectl get` columns from `additionalPrinterColumns`,
 * and its structural schema applied on every write — unknown fields pruned, wrong types,
 * patterns, enums and missing required fields refused with 422 naming the field.
 */
export function createCustomResourceKinds(crd: CustomResourceDefinition): ResourceKind[] {
  const { group, names, scope } = crd.spec;
  return crd.spec.versions
    .filter((version) => version.served)
    .map((version) => ({
      group,
      version: version.name,
      resource: names.plural,
      kind: names.kind,
      singular: names.singular,
      namespaced: scope === "Namespaced",
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
      ...(names.categories ? { categories: names.categories } : {}),
      tracksGeneration: true,
      statusSubresource: version.subresources?.status !== undefined,
      ...(version.subresources?.status === undefined
        ? {}
        : { subresources: { status: statusSubresource(names.kind) } }),
      admit(object: KubeObject): KubeObject {
        const schema = version.schema?.openAPIV3Schema;
        if (schema === undefined) return object;
        const fail = (field: string, message: string) =>
          invalid(names.plural, group, object.metadata.name ?? "", field, message);
        const { metadata, apiVersion, kind, ...rest } = object as KubeObject & Record<string, unknown>;
        const body = applySchema(rest, { ...schema, properties: withoutMeta(schema.properties) }, "", fail) as Record<
          string,
          unknown
        >;
        return { ...body, apiVersion, kind, metadata } as KubeObject;
      },
      tableColumns: (version.additionalPrinterColumns ?? []).map(
        (column): TableColumn => ({
          name: column.name,
          type: column.type,
          description: column.description ?? "",
          ...(column.priority === undefined ? {} : { priority: column.priority }),
          cell: (object, nowMs) =>
            column.type === "date" && column.jsonPath === ".metadata.creationTimestamp"
              ? ageCell(object, nowMs)
              : cellValue(readJsonPath(object, column.jsonPath), column.type),
        }),
      ),
    }));
}

/** `/status`: the whole object is the view; a write changes only its status (the API server's rule). */
function statusSubresource(kind: string): SubresourceHandler {
  return {
    kind,
    verbs: ["get", "update", "patch"],
    view: (object) => object,
    apply: (current, view) => ({ ...current, status: (view as KubeObject & { status?: unknown }).status }),
  };
}

function withoutMeta(properties: Record<string, JsonSchema> | undefined): Record<string, JsonSchema> {
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = properties ?? {};
  return rest;
}

/** A dotted `jsonPath` (`.status.phase`) read from an object; undefined when absent. */
function readJsonPath(object: unknown, jsonPath: string): unknown {
  let value: unknown = object;
  for (const key of jsonPath.replace(/^\./, "").split(".")) {
    if (!isPlainObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

function cellValue(value: unknown, type: TableColumn["type"]): string | number | boolean | null {
  if (value === undefined || value === null) return type === "string" ? "" : null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return JSON.stringify(value);
}

/** Validates and prunes one value against its schema, as the API server does for structural schemas. */
function applySchema(
  value: unknown,
  schema: JsonSchema,
  path: string,
  fail: (field: string, message: string) => Error,
): unknown {
  const field = path || "<root>";
  if (schema.enum && !schema.enum.includes(value)) {
    throw fail(
      field,
      `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`,
    );
  }
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") throw fail(field, `Invalid value: ${JSON.stringify(value)}: must be a string`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) {
        throw fail(field, `Too long: may not be more than ${schema.maxLength} bytes`);
      }
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
        throw fail(field, `Invalid value: ${JSON.stringify(value)}: should match '${schema.pattern}'`);
      }
      return value;
    case "integer":
    case "number":
      if (typeof value !== "number" || (schema.type === "integer" && !Number.isInteger(value))) {
        throw fail(
          field,
          `Invalid value: ${JSON.stringify(value)}: must be ${schema.type === "integer" ? "an integer" : "a number"}`,
        );
      }
      if (schema.minimum !== undefined && value < schema.minimum) {
        throw fail(field, `Invalid value: ${value}: should be greater than or equal to ${schema.minimum}`);
      }
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw fail(field, `Invalid value: ${JSON.stringify(value)}: must be a boolean`);
      return value;
    case "array": {
      if (!Array.isArray(value)) throw fail(field, "Invalid value: must be an array");
      const items = schema.items;
      return items ? value.map((item, index) => applySchema(item, items, `${path}[${index}]`, fail)) : value;
    }
    case "object": {
      if (!isPlainObject(value)) throw fail(field, "Invalid value: must be an object");
      for (const name of schema.required ?? []) {
        if (value[name] === undefined) throw fail(path ? `${path}.${name}` : name, "Required value");
      }
      if (schema["x-kubernetes-preserve-unknown-fields"] === true && schema.properties === undefined) return value;
      const out: Record<string, unknown> = {};
      for (const [name, child] of Object.entries(value)) {
        const childSchema = schema.properties?.[name];
        if (childSchema === undefined) {
          // Pruned, as the API server drops fields its structural schema does not know.
          if (schema["x-kubernetes-preserve-unknown-fields"] === true) out[name] = child;
          continue;
        }
        out[name] = applySchema(child, childSchema, path ? `${path}.${name}` : name, fail);
      }
      return out;
    }
    default:
      return value;
  }
}
