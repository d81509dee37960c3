import type { KubeObject } from "./kube-object.js";
import type { ResourceKind, TableColumn } from "./resource-kind.js";

/** Columns used for kinds that declare none: what the server prints for any object. */
const AGE_COLUMN: TableColumn = {
  name: "Age",
  type: "string",
  description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
  cell: (object, nowMs) => ageCell(object, nowMs),
};

/** The `meta.k8s.io` Table `kubectl get` asks for (`Accept: application/json;as=Table;...`). */
export interface KubeTable {
  kind: "Table";
  apiVersion: string;
  metadata: { resourceVersion?: string };
  columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[];
  rows: { cells: (string | number | boolean | null)[]; object: unknown }[];
}

/** Options of `toTable`. */
export interface TableOptions {
  /** `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`, whichever the client accepted. */
  apiVersion: string;
  /** `includeObject` query parameter. @default "Metadata" */
  includeObject?: "None" | "Metadata" | "Object";
  resourceVersion?: string;
  nowMs?: number;
}

/**
 * Server-side printing: renders objects as a Table with a Name column followed by the kind's
 * columns. Without it kubectl falls back to NAME/AGE only, which hides the replica counts.
 */
export function toTable(kind: ResourceKind, objects: readonly KubeObject[], options: TableOptions): KubeTable {
  const columns = kind.tableColumns ?? [AGE_COLUMN];
  const nowMs = options.nowMs ?? Date.now();
  const include = options.includeObject ?? "Metadata";
  return {
    kind: "Table",
    apiVersion: options.apiVersion,
    metadata: options.resourceVersion === undefined ? {} : { resourceVersion: options.resourceVersion },
    columnDefinitions: [
      {
        name: "Name",
        type: "string",
        format: "name",
        description: "Name must be unique within a namespace.",
        priority: 0,
      },
      ...columns.map((column) => ({
        name: column.name,
        type: column.type,
        format: column.format ?? "",
        description: column.description,
        priority: column.priority ?? 0,
      })),
    ],
    rows: objects.map((object) => ({
      cells: [object.metadata.name ?? "", ...columns.map((column) => column.cell(object, nowMs))],
      object:
        include === "None"
          ? null
          : include === "Object"
            ? object
            : {
                kind: "PartialObjectMetadata",
                apiVersion: options.apiVersion,
                metadata: object.metadata,
              },
    })),
  };
}

/** The Age cell of an object, formatted as kubectl does (`45s`, `12m`, `3h`, `5d`). */
export function ageCell(object: KubeObject, nowMs: number): string {
  const created = Date.parse(object.metadata.creationTimestamp ?? "");
  return Number.isNaN(created) ? "<unknown>" : humanDuration(nowMs - created);
}

/** A short human duration, like Kubernetes' `duration.HumanDuration`. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ""}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
