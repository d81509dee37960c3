import type { KubeObject } from "./kube-object.js";
import { StatusError } from "./status-error.js";

/** Identifies a stored collection: `apps/v1/deployments`, `/v1/namespaces` (core group is ""). */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** The `apiVersion` string of a group/version (`v1` for the core group). */
export function apiVersionOf(ref: Pick<ResourceRef, "group" | "version">): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** The store key of a resource, `group/version/resource`. */
export function resourceKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.version}/${ref.resource}`;
}

/**
 * A view of a stored object served under `{resource}/{name}/{subresource}` (e.g. a Deployment's
 * `scale`): reads render the view, writes map an edited view back onto the stored object, which
 * then goes through the normal update path (preconditions, admission, watch events).
 */
export interface SubresourceHandler {
  /** Kind of the view, for discovery (`Scale`). */
  readonly kind: string;
  /** Group of the view when it differs from the parent's (`autoscaling`). */
  readonly group?: string;
  /** Version of the view when it differs from the parent's (`v1`). */
  readonly version?: string;
  readonly verbs: readonly ("get" | "update" | "patch")[];
  /** Renders the view of the stored object. */
  view(object: KubeObject): KubeObject;
  /** Returns the stored object updated from an edited view (throws `StatusError` if invalid). */
  apply(current: KubeObject, view: KubeObject): KubeObject;
}

/** One column of the server-side table printing `kubectl get` asks for. */
export interface TableColumn {
  readonly name: string;
  readonly type: "string" | "integer" | "number" | "boolean" | "date";
  readonly format?: string;
  readonly description: string;
  /** 0 = always shown; higher only with `-o wide`. @default 0 */
  readonly priority?: number;
  cell(object: KubeObject, nowMs: number): string | number | boolean | null;
}

/**
 * Everything the generic API machinery needs to serve one kind. Kind-specific behaviour
 * (defaults, validation, subresources, table columns) hangs off this record so that adding a
 * kind (HTTPRoute, VirtualService, Ingress...) means registering one more record.
 */
export interface ResourceKind extends ResourceRef {
  readonly kind: string;
  /** Lower-case singular name (`deployment`). */
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  /** Whether changes outside `metadata` and `status` increment `metadata.generation`. */
  readonly tracksGeneration: boolean;
  /** Whether `status` belongs to the server: writes to the main resource keep the stored status. */
  readonly statusSubresource: boolean;
  /**
   * Defaults and validation, run on every create (`previous` undefined) and update, after the
   * server-managed metadata is settled. Returns the object to store; throws `StatusError`.
   */
  admit?(object: KubeObject, previous: KubeObject | undefined): KubeObject;
  readonly subresources?: Readonly<Record<string, SubresourceHandler>>;
  /** Columns for `kubectl get`; name and age are used when absent. */
  readonly tableColumns?: readonly TableColumn[];
}

/** The kinds a simulated cluster serves, indexed for routing and discovery. */
export class ResourceRegistry {
  readonly #kinds = new Map<string, ResourceKind>();

  constructor(kinds: Iterable<ResourceKind> = []) {
    for (const kind of kinds) this.register(kind);
  }

  /** Adds a kind; registering the same group/version/resource twice is a programming error. */
  register(kind: ResourceKind): void {
    const key = resourceKey(kind);
    if (this.#kinds.has(key)) throw new Error(`resource ${key} is already registered`);
    this.#kinds.set(key, kind);
  }

  /** The kind served at a group/version/resource, if any. */
  find(group: string, version: string, resource: string): ResourceKind | undefined {
    return this.#kinds.get(resourceKey({ group, version, resource }));
  }

  /** Like `find`, but a 404 `StatusError` when the resource is not served. */
  resolve(group: string, version: string, resource: string): ResourceKind {
    const kind = this.find(group, version, resource);
    if (!kind) {
      throw new StatusError(
        404,
        `the server could not find the requested resource (${apiVersionOf({ group, version })} ${resource})`,
        "NotFound",
      );
    }
    return kind;
  }

  /** All kinds, in registration order. */
  all(): ResourceKind[] {
    return [...this.#kinds.values()];
  }

  /** Kinds of one group/version. */
  inGroupVersion(group: string, version: string): ResourceKind[] {
    return this.all().filter((kind) => kind.group === group && kind.version === version);
  }

  /** Named API groups (not the core group) with their versions, in registration order. */
  groups(): { name: string; versions: string[] }[] {
    const groups = new Map<string, string[]>();
    for (const kind of this.#kinds.values()) {
      if (!kind.group) continue;
      const versions = groups.get(kind.group) ?? [];
      if (!versions.includes(kind.version)) versions.push(kind.version);
      groups.set(kind.group, versions);
    }
    return [...groups].map(([name, versions]) => ({ name, versions }));
  }
}
