import * as kubernetesClient from "@kubernetes/client-node";
import { isRecord } from "@sentra/common";
import { PROMETHEUS_OPERATOR_KINDS, PROMETHEUS_OPERATOR_MODELS } from "./prometheus-operator-schema.js";

/**
 * Checks rendered Kubernetes objects against the models @kubernetes/client-node generates from the
 * Kubernetes OpenAPI spec (v1.34 for client-node 1.4.0): every key must be a field of its model
 * and every value roughly of the field's type. The API server drops unknown fields with at most a
 * warning, so a misspelled `securityContex` would install fine and silently not apply; this is
 * the check there is no network to fetch the JSON schemas for.
 */

/** One field of a model, as client-node's `attributeTypeMap` lists it (`format` e.g. "int32"). */
export interface ModelField {
  baseName: string;
  type: string;
  format?: string;
}

/** The model of each kind the charts render, by `<apiVersion> <kind>`. */
const KUBERNETES_KINDS: Readonly<Record<string, string>> = {
  "v1 ConfigMap": "V1ConfigMap",
  "v1 Secret": "V1Secret",
  "v1 Service": "V1Service",
  "v1 ServiceAccount": "V1ServiceAccount",
  "apps/v1 Deployment": "V1Deployment",
  "policy/v1 PodDisruptionBudget": "V1PodDisruptionBudget",
  "rbac.authorization.k8s.io/v1 Role": "V1Role",
  "rbac.authorization.k8s.io/v1 ClusterRole": "V1ClusterRole",
  "rbac.authorization.k8s.io/v1 RoleBinding": "V1RoleBinding",
  "rbac.authorization.k8s.io/v1 ClusterRoleBinding": "V1ClusterRoleBinding",
  "apiextensions.k8s.io/v1 CustomResourceDefinition": "V1CustomResourceDefinition",
};

const KINDS: Readonly<Record<string, string>> = { ...KUBERNETES_KINDS, ...PROMETHEUS_OPERATOR_KINDS };

/**
 * Fields the OpenAPI spec types as resource.Quantity, which the generator flattened to string:
 * the API server also takes a JSON number there (`cpu: 1`), so they accept both.
 */
const QUANTITY_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  V1ResourceRequirements: { limits: "{ [key: string]: Quantity; }", requests: "{ [key: string]: Quantity; }" },
  V1EmptyDirVolumeSource: { sizeLimit: "Quantity" },
};

const ARRAY_TYPE = /^Array<(.+)>$/;
const MAP_TYPE = /^\{ \[key: string\]: (.+); \}$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The fields of a model: the explicit schemas first, then client-node's generated classes. */
function modelFields(typeName: string): readonly ModelField[] | undefined {
  const explicit = PROMETHEUS_OPERATOR_MODELS[typeName];
  if (explicit !== undefined) return explicit;
  const model = (kubernetesClient as unknown as Record<string, unknown>)[typeName];
  if (typeof model !== "function") return undefined;
  const fields = (model as { attributeTypeMap?: unknown }).attributeTypeMap;
  return Array.isArray(fields) ? (fields as ModelField[]) : undefined;
}

function childPath(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (isRecord(value)) return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Appends to `errors` what in `value` does not fit `type`; `path` names the value. */
function checkValue(value: unknown, type: string, format: string, path: string, errors: string[]): void {
  // The API server reads null as "not set", as helm renders an empty value.
  if (value === null || value === undefined) return;
  const mismatch = (expected: string) => errors.push(`${path}: expected ${expected}, got ${describeValue(value)}`);
  switch (type) {
    // Free-form by the spec: JSON-schema `default`/`example`, `x-kubernetes-preserve-unknown-fields` data.
    case "any":
    case "object":
      return;
    case "string":
    case "Date":
      if (typeof value !== "string") mismatch(type === "Date" ? "a date-time string" : "a string");
      return;
    case "boolean":
      if (typeof value !== "boolean") mismatch("a boolean");
      return;
    case "number":
      if (typeof value !== "number" || (format.startsWith("int") && !Number.isInteger(value))) {
        mismatch(format.startsWith("int") ? "an integer" : "a number");
      }
      return;
    case "IntOrString":
      if (typeof value !== "string" && !Number.isInteger(value)) mismatch("an integer or a string");
      return;
    case "Quantity":
      if (typeof value !== "string" && typeof value !== "number") mismatch("a quantity (string or number)");
      return;
  }
  const itemType = ARRAY_TYPE.exec(type)?.[1];
  if (itemType !== undefined) {
    if (!Array.isArray(value)) return void mismatch(`an array of ${itemType}`);
    value.forEach((item, index) => {
      checkValue(item, itemType, "", `${path}[${index}]`, errors);
    });
    return;
  }
  const entryType = MAP_TYPE.exec(type)?.[1];
  if (entryType !== undefined) {
    if (!isRecord(value)) return void mismatch(`a map of ${entryType}`);
    for (const [key, entry] of Object.entries(value)) checkValue(entry, entryType, "", childPath(path, key), errors);
    return;
  }
  const fields = modelFields(type);
  // Loud: a type without a schema would otherwise pass whatever it holds.
  if (fields === undefined) return void errors.push(`${path}: no schema for type ${type}`);
  if (!isRecord(value)) return void mismatch(`an object (${type})`);
  const byName = new Map(fields.map((field) => [field.baseName, field]));
  for (const [key, entry] of Object.entries(value)) {
    const field = byName.get(key);
    const keyPath = childPath(path, key);
    if (field === undefined) {
      errors.push(`${keyPath}: unknown field (${type} has no ${JSON.stringify(key)})`);
      continue;
    }
    const fieldType = QUANTITY_FIELDS[type]?.[key] ?? field.type;
    checkValue(entry, fieldType, field.format ?? "", keyPath, errors);
  }
}

/**
 * What in a rendered object does not fit its kind's schema, one message each, prefixed with
 * `<Kind>/<name>` (e.g. `Deployment/rel spec.template.spec.containers[0].securityContex: unknown
 * field …`). A kind without a model is an error too, never skipped. Empty when it fits.
 */
export function kubernetesSchemaErrors(object: unknown): string[] {
  if (!isRecord(object)) return [`not an object: ${describeValue(object)}`];
  const { apiVersion, kind } = object;
  const name = isRecord(object.metadata) ? object.metadata.name : undefined;
  const label = `${String(kind)}/${String(name)}`;
  const model = KINDS[`${String(apiVersion)} ${String(kind)}`];
  if (model === undefined) {
    return [`${label}: no schema for apiVersion ${String(apiVersion)} kind ${String(kind)} (add it to the validator)`];
  }
  const errors: string[] = [];
  checkValue(object, model, "", "", errors);
  return errors.map((error) => `${label} ${error}`);
}
