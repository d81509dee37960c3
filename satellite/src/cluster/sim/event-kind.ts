import { isPlainObject, type KubeObject } from "./kube-object.js";
import type { ResourceKind, ResourceRef } from "./resource-kind.js";
import { ageCell } from "./table.js";

/** Where core `v1` Events live. */
export const EVENT_RESOURCE: ResourceRef = Object.freeze({ group: "", version: "v1", resource: "events" });

/** The fields of a `v1` Event that `kubectl get events` prints. */
interface EventObject extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string;
}

/** The core `v1` Event kind: what controllers record and `kubectl get events` / `describe` show. */
export function createEventKind(): ResourceKind {
  return {
    ...EVENT_RESOURCE,
    kind: "Event",
    singular: "event",
    namespaced: true,
    shortNames: ["ev"],
    tracksGeneration: false,
    statusSubresource: false,
    tableColumns: [
      {
        name: "Last Seen",
        type: "string",
        description: "when the event was last seen",
        cell: (object, nowMs) => {
          const at = (object as EventObject).lastTimestamp;
          return at
            ? ageCell({ ...object, metadata: { ...object.metadata, creationTimestamp: at } }, nowMs)
            : ageCell(object, nowMs);
        },
      },
      {
        name: "Type",
        type: "string",
        description: "Normal or Warning",
        cell: (object) => (object as EventObject).type ?? "",
      },
      { name: "Reason", type: "string", description: "why", cell: (object) => (object as EventObject).reason ?? "" },
      {
        name: "Object",
        type: "string",
        description: "what it is about",
        cell: (object) => {
          const involved = (object as EventObject).involvedObject;
          return isPlainObject(involved) ? `${String(involved.kind ?? "").toLowerCase()}/${involved.name ?? ""}` : "";
        },
      },
      {
        name: "Message",
        type: "string",
        description: "what happened",
        cell: (object) => (object as EventObject).message ?? "",
      },
    ],
  };
}
