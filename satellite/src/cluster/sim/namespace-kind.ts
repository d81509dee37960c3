import type { ResourceKind, ResourceRef } from "./resource-kind.js";
import { ageCell } from "./table.js";

/** Where Namespaces live (core group, cluster-scoped). */
export const NAMESPACE_RESOURCE: ResourceRef = Object.freeze({ group: "", version: "v1", resource: "namespaces" });

/** Label the API server puts on every namespace (selectable in NetworkPolicies). */
const NAME_LABEL = "kubernetes.io/metadata.name";

/** The `v1` Namespace kind. Namespaces are always `Active`: deletion is immediate and cascades. */
export function createNamespaceKind(): ResourceKind {
  return {
    ...NAMESPACE_RESOURCE,
    kind: "Namespace",
    singular: "namespace",
    namespaced: false,
    shortNames: ["ns"],
    tracksGeneration: false,
    statusSubresource: true,
    admit(object, previous) {
      const name = object.metadata.name ?? "";
      object.metadata.labels = { ...object.metadata.labels, [NAME_LABEL]: name };
      object.spec = { finalizers: ["kubernetes"], ...(object.spec as object | undefined) };
      if (!previous) object.status = { phase: "Active" };
      return object;
    },
    tableColumns: [
      {
        name: "Status",
        type: "string",
        description: "The status of the namespace",
        cell: (ns) => ((ns.status as { phase?: string } | undefined)?.phase ?? "") || "Active",
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
