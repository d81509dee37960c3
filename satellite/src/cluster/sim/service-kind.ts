import { isPlainObject, type KubeObject } from "./kube-object.js";
import { formatMatchLabels } from "./label-selector.js";
import type { ResourceKind, ResourceRef } from "./resource-kind.js";
import { invalid } from "./status-error.js";
import { ageCell } from "./table.js";

/** Where Services live (core group, namespaced). */
export const SERVICE_RESOURCE: ResourceRef = Object.freeze({ group: "", version: "v1", resource: "services" });

/** A `v1` Service as the simulation reads it: the selector decides which Deployments' pods serve it. */
export interface ServiceObject extends KubeObject {
  spec: {
    selector?: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
    type?: string;
    [key: string]: unknown;
  };
}

/**
 * The `v1` Service kind. No cluster IPs or endpoints are allocated: the simulated traffic resolves
 * a Service to the ready pods of the Deployments whose pod template matches its selector.
 */
export function createServiceKind(): ResourceKind {
  return {
    ...SERVICE_RESOURCE,
    kind: "Service",
    singular: "service",
    namespaced: true,
    shortNames: ["svc"],
    categories: ["all"],
    tracksGeneration: false,
    statusSubresource: true,
    admit(object) {
      const service = object as ServiceObject;
      const name = service.metadata.name ?? "";
      const spec = isPlainObject(service.spec) ? service.spec : {};
      if (spec.selector !== undefined) {
        if (!isPlainObject(spec.selector) || Object.values(spec.selector).some((v) => typeof v !== "string")) {
          throw invalid("services", "", name, "spec.selector", "must be a map of label names to string values");
        }
      }
      for (const [index, port] of (Array.isArray(spec.ports) ? spec.ports : []).entries()) {
        if (!isPlainObject(port) || !Number.isInteger(port.port) || port.port < 1 || port.port > 65_535) {
          throw invalid("services", "", name, `spec.ports[${index}].port`, "must be between 1 and 65535, inclusive");
        }
      }
      service.spec = { type: "ClusterIP", ...spec };
      service.status ??= { loadBalancer: {} };
      return service;
    },
    tableColumns: [
      {
        name: "Type",
        type: "string",
        description: "The type of the service.",
        cell: (s) => (s as ServiceObject).spec.type ?? "ClusterIP",
      },
      {
        name: "Selector",
        type: "string",
        description: "The label selector of the pods that serve it.",
        cell: (s) => formatMatchLabels((s as ServiceObject).spec.selector) || "<none>",
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
