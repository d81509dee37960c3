import { isPlainObject, type KubeObject } from "./kube-object.js";
import type { ResourceKind, ResourceRef } from "./resource-kind.js";
import { invalid } from "./status-error.js";
import { ageCell } from "./table.js";

/** Where Gateway API HTTPRoutes live. */
export const HTTP_ROUTE_RESOURCE: ResourceRef = Object.freeze({
  group: "gateway.networking.k8s.io",
  version: "v1",
  resource: "httproutes",
});

/** Largest backend weight the Gateway API accepts. */
export const MAX_BACKEND_WEIGHT = 1_000_000;

/** One `backendRefs` entry (Service backends; other kinds are stored but carry no simulated traffic). */
export interface HttpBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  /** Relative share of the rule's traffic. @default 1 */
  weight?: number;
  [key: string]: unknown;
}

/** One routing rule: matches (kept as given) and weighted backends. */
export interface HttpRouteRule {
  matches?: unknown[];
  backendRefs?: HttpBackendRef[];
  [key: string]: unknown;
}

/** A `gateway.networking.k8s.io/v1` HTTPRoute, loosely typed beyond the fields the simulation uses. */
export interface HttpRouteObject extends KubeObject {
  spec: {
    parentRefs?: unknown[];
    hostnames?: string[];
    rules?: HttpRouteRule[];
    [key: string]: unknown;
  };
}

/**
 * The Gateway API `HTTPRoute` kind, with the API's own defaults (`weight: 1`, `kind: Service`,
 * `group: ""`) and its validation of backend weights (integers 0–1,000,000) and rule count (≤ 16).
 */
export function createHttpRouteKind(): ResourceKind {
  return {
    ...HTTP_ROUTE_RESOURCE,
    kind: "HTTPRoute",
    singular: "httproute",
    namespaced: true,
    categories: ["gateway-api"],
    tracksGeneration: true,
    statusSubresource: true,
    admit(object) {
      const route = object as HttpRouteObject;
      const name = route.metadata.name ?? "";
      const fail = (field: string, message: string) =>
        invalid("httproutes", HTTP_ROUTE_RESOURCE.group, name, field, message);
      const spec = isPlainObject(route.spec) ? route.spec : {};
      const rules = spec.rules ?? [{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }];
      if (!Array.isArray(rules)) throw fail("spec.rules", "must be a list");
      if (rules.length > 16) throw fail("spec.rules", `must have at most 16 items, got ${rules.length}`);
      spec.rules = rules.map((rule, ruleIndex) => {
        if (!isPlainObject(rule)) throw fail(`spec.rules[${ruleIndex}]`, "must be an object");
        const refs = rule.backendRefs ?? [];
        if (!Array.isArray(refs)) throw fail(`spec.rules[${ruleIndex}].backendRefs`, "must be a list");
        const backendRefs = refs.map((ref: unknown, refIndex) => {
          const field = `spec.rules[${ruleIndex}].backendRefs[${refIndex}]`;
          if (!isPlainObject(ref) || typeof ref.name !== "string" || ref.name === "") {
            throw fail(`${field}.name`, "Required value");
          }
          const weight = ref.weight ?? 1;
          if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 0 || weight > MAX_BACKEND_WEIGHT) {
            throw fail(`${field}.weight`, `must be an integer between 0 and ${MAX_BACKEND_WEIGHT}`);
          }
          return { group: "", kind: "Service", ...ref, weight } as HttpBackendRef;
        });
        return { ...rule, backendRefs };
      });
      route.spec = spec;
      route.status ??= { parents: [] };
      return route;
    },
    tableColumns: [
      {
        name: "Hostnames",
        type: "string",
        description: "Hostnames matched by the route.",
        cell: (r) => ((r as HttpRouteObject).spec.hostnames ?? []).join(",") || "*",
      },
      {
        name: "Backends",
        type: "string",
        description: "Backends and their weights.",
        cell: (r) =>
          ((r as HttpRouteObject).spec.rules ?? [])
            .flatMap((rule) => (rule.backendRefs ?? []).map((ref) => `${ref.name}=${ref.weight ?? 1}`))
            .join(","),
      },
      {
        name: "Age",
        type: "string",
        description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
        cell: ageCell,
      },
    ],
  };
}
