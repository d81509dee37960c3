import { isPlainObject, type KubeObject } from "./kube-object.js";
import type { ResourceKind, ResourceRef } from "./resource-kind.js";
import { invalid } from "./status-error.js";
import { ageCell } from "./table.js";

/** Where Ingresses live (`networking.k8s.io/v1`). */
export const INGRESS_RESOURCE: ResourceRef = Object.freeze({
  group: "networking.k8s.io",
  version: "v1",
  resource: "ingresses",
});

/**
 * The ingress-nginx annotations the simulated traffic honours (the controller reads them; the API
 * server does not validate them): an Ingress with `canary: "true"` takes `canary-weight` out of
 * `canary-weight-total` (default 100) of the requests that match one of its host/path rules on the
 * primary (non-canary) Ingress.
 */
export const NGINX_CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary";
export const NGINX_CANARY_WEIGHT_ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight";
export const NGINX_CANARY_WEIGHT_TOTAL_ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight-total";

/** A backend: a Service by name and port (resource backends are stored but carry no simulated traffic). */
export interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
  resource?: unknown;
}

/** One path of a rule. */
export interface IngressPath {
  path?: string;
  pathType: "Exact" | "Prefix" | "ImplementationSpecific";
  backend: IngressBackend;
}

/** One host rule. */
export interface IngressRule {
  host?: string;
  http?: { paths: IngressPath[] };
}

/** A `networking.k8s.io/v1` Ingress. */
export interface IngressObject extends KubeObject {
  spec: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    rules?: IngressRule[];
    tls?: unknown[];
    [key: string]: unknown;
  };
}

const PATH_TYPES = ["Exact", "Prefix", "ImplementationSpecific"];

/**
 * The `networking.k8s.io/v1` Ingress kind, with the API server's validation of backends (a Service
 * name and a port number 1–65535 or a port name), path types, and that an Ingress has rules or a
 * default backend.
 */
export function createIngressKind(): ResourceKind {
  return {
    ...INGRESS_RESOURCE,
    kind: "Ingress",
    singular: "ingress",
    namespaced: true,
    shortNames: ["ing"],
    tracksGeneration: true,
    statusSubresource: true,
    admit(object) {
      const ingress = object as IngressObject;
      const name = ingress.metadata.name ?? "";
      const fail = (field: string, message: string) =>
        invalid("ingresses", INGRESS_RESOURCE.group, name, field, message);
      const spec = isPlainObject(ingress.spec) ? ingress.spec : {};
      const checkBackend = (backend: unknown, field: string) => {
        if (!isPlainObject(backend)) throw fail(field, "Required value");
        if (backend.resource !== undefined) return;
        const service = backend.service;
        if (!isPlainObject(service) || typeof service.name !== "string" || service.name === "") {
          throw fail(`${field}.service.name`, "Required value");
        }
        const port = service.port;
        const number = isPlainObject(port) ? port.number : undefined;
        const portName = isPlainObject(port) ? port.name : undefined;
        const validNumber = typeof number === "number" && Number.isInteger(number) && number >= 1 && number <= 65_535;
        if (!validNumber && !(typeof portName === "string" && portName !== "")) {
          throw fail(`${field}.service.port`, "a port number (1-65535) or a port name is required");
        }
      };
      if (spec.defaultBackend !== undefined) checkBackend(spec.defaultBackend, "spec.defaultBackend");
      const rules = spec.rules ?? [];
      if (!Array.isArray(rules)) throw fail("spec.rules", "must be a list");
      if (rules.length === 0 && spec.defaultBackend === undefined) {
        throw fail("spec.rules", "either `defaultBackend` or `rules` must be specified");
      }
      for (const [ruleIndex, rule] of rules.entries()) {
        if (!isPlainObject(rule)) throw fail(`spec.rules[${ruleIndex}]`, "must be an object");
        const paths = isPlainObject(rule.http) ? rule.http.paths : undefined;
        if (rule.http === undefined) continue;
        if (!Array.isArray(paths) || paths.length === 0) {
          throw fail(`spec.rules[${ruleIndex}].http.paths`, "Required value");
        }
        for (const [pathIndex, path] of paths.entries()) {
          const field = `spec.rules[${ruleIndex}].http.paths[${pathIndex}]`;
          if (!isPlainObject(path)) throw fail(field, "must be an object");
          if (typeof path.pathType !== "string" || !PATH_TYPES.includes(path.pathType)) {
            throw fail(`${field}.pathType`, `Unsupported value: must be one of ${PATH_TYPES.join(", ")}`);
          }
          checkBackend(path.backend, `${field}.backend`);
        }
      }
      ingress.spec = spec;
      ingress.status ??= { loadBalancer: {} };
      return ingress;
    },
    tableColumns: [
      {
        name: "Class",
        type: "string",
        description: "The name of the IngressClass cluster resource.",
        cell: (i) => (i as IngressObject).spec.ingressClassName ?? "<none>",
      },
      {
        name: "Hosts",
        type: "string",
        description: "Hosts that incoming requests are matched against.",
        cell: (i) => ((i as IngressObject).spec.rules ?? []).map((rule) => rule.host ?? "*").join(",") || "*",
      },
      {
        name: "Backends",
        type: "string",
        description: "Backend Services by path (with the NGINX canary weight, if any).",
        cell: (i) => {
          const ingress = i as IngressObject;
          const annotations = ingress.metadata.annotations ?? {};
          const canary =
            annotations[NGINX_CANARY_ANNOTATION] === "true"
              ? ` (canary ${annotations[NGINX_CANARY_WEIGHT_ANNOTATION] ?? "0"})`
              : "";
          const backends = (ingress.spec.rules ?? []).flatMap((rule) =>
            (rule.http?.paths ?? []).map((path) => `${path.path ?? "/"}=${path.backend.service?.name ?? "?"}`),
          );
          return `${backends.join(",")}${canary}`;
        },
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
