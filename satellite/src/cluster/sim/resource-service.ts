import { randomUUID } from "node:crypto";
import { matchesFieldSelector, parseFieldSelector } from "./field-selector.js";
import { applyJsonPatch } from "./json-patch.js";
import { cloneJson, isPlainObject, jsonEqual, type KubeObject, kubeTimestamp } from "./kube-object.js";
import { matchesLabelSelector, parseLabelSelector } from "./label-selector.js";
import { applyMergePatch, applyStrategicMergePatch } from "./merge-patch.js";
import { NAMESPACE_RESOURCE } from "./namespace-kind.js";
import type { ObjectStore, WatchEvent } from "./object-store.js";
import { apiVersionOf, type ResourceKind, type ResourceRegistry, type SubresourceHandler } from "./resource-kind.js";
import { alreadyExists, badRequest, conflict, invalid, notFound, StatusError } from "./status-error.js";

/** The patch flavours the server accepts, by the Content-Type that selects them. */
export type PatchType = "json" | "merge" | "strategic";

/** Options shared by writes. */
export interface WriteOptions {
  /** `dryRun=All`: run every check and return the result without storing it. */
  dryRun?: boolean;
}

/** Filters of list and watch. */
export interface ListOptions {
  /** Namespace to list, or undefined for all namespaces (and for cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** `DeleteOptions.preconditions`. */
export interface DeletePreconditions {
  resourceVersion?: string;
  uid?: string;
}

/** Namespaces the API server refuses to delete. */
const PROTECTED_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/**
 * The verbs of the Kubernetes API over the generic store: create, get, list, replace, patch,
 * delete and watch for any registered kind, plus subresource views. It owns the semantics shared
 * by every kind (server-managed metadata, resourceVersion preconditions, generation, status
 * ownership, no-op detection, namespace existence) and calls each kind's `admit` for the rest.
 * Every failure is a `StatusError`.
 */
export class ResourceService {
  constructor(
    readonly store: ObjectStore,
    readonly registry: ResourceRegistry,
  ) {}

  /** One object, or 404. */
  get(kind: ResourceKind, namespace: string, name: string): KubeObject {
    const object = this.store.get(kind, scopeOf(kind, namespace), name);
    if (!object) throw notFound(kind.resource, kind.group, name);
    return object;
  }

  /** Matching objects and the resource version the list is consistent with. */
  list(kind: ResourceKind, options: ListOptions = {}): { items: KubeObject[]; resourceVersion: string } {
    const matches = this.#matcher(options);
    const resourceVersion = String(this.store.resourceVersion);
    const items = this.store.list(kind, kind.namespaced ? options.namespace : undefined).filter(matches);
    return { items, resourceVersion };
  }

  /** Starts a watch (see `ObjectStore.watch`); returns the stop function. */
  watch(
    kind: ResourceKind,
    options: ListOptions & { fromResourceVersion?: number },
    send: (event: WatchEvent) => void,
  ) {
    return this.store.watch(
      kind,
      {
        namespace: kind.namespaced ? options.namespace : undefined,
        matches: this.#matcher(options),
        fromResourceVersion: options.fromResourceVersion,
      },
      send,
    );
  }

  /** POST: stores a new object. */
  create(kind: ResourceKind, namespace: string, body: unknown, options: WriteOptions = {}): KubeObject {
    const object = this.#objectBody(kind, body, apiVersionOf(kind), kind.kind);
    const meta = object.metadata;
    if (kind.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      meta.namespace = namespace;
      this.#requireNamespace(namespace);
    } else {
      delete meta.namespace;
    }
    if (!meta.name && typeof meta.generateName === "string" && meta.generateName) {
      meta.name = meta.generateName + randomSuffix();
    }
    const name = meta.name ?? "";
    if (!name)
      throw invalid(kind.kind, kind.group, "", "metadata.name", "Required value: name or generateName is required");
    if (name.length > 253 || !NAME_PATTERN.test(name)) {
      throw invalid(
        kind.kind,
        kind.group,
        name,
        "metadata.name",
        `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      );
    }
    if (this.store.get(kind, scopeOf(kind, namespace), name)) throw alreadyExists(kind.resource, kind.group, name);
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    meta.uid = randomUUID();
    meta.creationTimestamp = kubeTimestamp();
    if (kind.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    // A client cannot set the status of a kind whose status the server owns.
    if (kind.statusSubresource) delete object.status;
    const admitted = kind.admit ? kind.admit(object, undefined) : object;
    return options.dryRun ? admitted : this.store.create(kind, admitted);
  }

  /** PUT: replaces an object (a `metadata.resourceVersion` in the body is a precondition). */
  replace(kind: ResourceKind, namespace: string, name: string, body: unknown, options: WriteOptions = {}): KubeObject {
    const current = this.get(kind, namespace, name);
    const candidate = this.#objectBody(kind, body, apiVersionOf(kind), kind.kind);
    this.#checkIdentity(kind, candidate, namespace, name);
    return this.#commit(kind, current, candidate, options);
  }

  /** PATCH: applies a JSON, merge or strategic-merge patch to the stored object. */
  patch(
    kind: ResourceKind,
    namespace: string,
    name: string,
    type: PatchType,
    patch: unknown,
    options: WriteOptions = {},
  ) {
    const current = this.get(kind, namespace, name);
    const candidate = this.#objectBody(kind, applyPatch(type, current, patch), apiVersionOf(kind), kind.kind);
    this.#checkIdentity(kind, candidate, namespace, name);
    return this.#commit(kind, current, candidate, options);
  }

  /** DELETE: removes an object; deleting a namespace removes everything in it at once. */
  delete(
    kind: ResourceKind,
    namespace: string,
    name: string,
    preconditions: DeletePreconditions = {},
    options: WriteOptions = {},
  ) {
    const current = this.get(kind, namespace, name);
    if (preconditions.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(kind.resource, kind.group, name);
    }
    if (preconditions.uid && preconditions.uid !== current.metadata.uid) {
      throw new StatusError(
        409,
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
        "Conflict",
      );
    }
    const isNamespace = kind.group === NAMESPACE_RESOURCE.group && kind.resource === NAMESPACE_RESOURCE.resource;
    if (isNamespace && PROTECTED_NAMESPACES.has(name)) {
      throw new StatusError(403, `namespaces "${name}" is forbidden: this namespace may not be deleted`, "Forbidden");
    }
    if (options.dryRun) return current;
    if (isNamespace) {
      for (const child of this.registry.all().filter((k) => k.namespaced)) {
        for (const object of this.store.list(child, name)) this.store.delete(child, name, object.metadata.name ?? "");
      }
    }
    return this.store.delete(kind, scopeOf(kind, namespace), name) ?? current;
  }

  /** GET of a subresource view. */
  getSubresource(kind: ResourceKind, subresource: string, namespace: string, name: string): KubeObject {
    return this.#subresource(kind, subresource).view(this.get(kind, namespace, name));
  }

  /** PUT of a subresource view. */
  replaceSubresource(
    kind: ResourceKind,
    subresource: string,
    namespace: string,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ) {
    const handler = this.#subresource(kind, subresource);
    const current = this.get(kind, namespace, name);
    const view = this.#objectBody(kind, body, viewApiVersion(kind, handler), handler.kind);
    this.#checkIdentity(kind, view, namespace, name);
    return handler.view(this.#commit(kind, current, handler.apply(current, view), options, subresource === "status"));
  }

  /** PATCH of a subresource view. */
  patchSubresource(
    kind: ResourceKind,
    subresource: string,
    namespace: string,
    name: string,
    type: PatchType,
    patch: unknown,
    options: WriteOptions = {},
  ) {
    const handler = this.#subresource(kind, subresource);
    const current = this.get(kind, namespace, name);
    const view = this.#objectBody(
      kind,
      applyPatch(type, handler.view(current), patch),
      viewApiVersion(kind, handler),
      handler.kind,
    );
    this.#checkIdentity(kind, view, namespace, name);
    return handler.view(this.#commit(kind, current, handler.apply(current, view), options, subresource === "status"));
  }

  /**
   * Server-internal status write, as a controller makes it (no precondition, no admission).
   * Returns undefined when the object is gone, and does not write when nothing changed.
   */
  writeStatus(kind: ResourceKind, namespace: string, name: string, status: unknown): KubeObject | undefined {
    const current = this.store.get(kind, scopeOf(kind, namespace), name);
    if (!current) return undefined;
    if (jsonEqual(current.status, status)) return current;
    const next = cloneJson(current);
    next.status = cloneJson(status);
    return this.store.update(kind, next);
  }

  /** `writesStatus`: a write through the `status` subresource, the one way to change a status the server owns. */
  #commit(
    kind: ResourceKind,
    current: KubeObject,
    candidate: KubeObject,
    options: WriteOptions,
    writesStatus = false,
  ): KubeObject {
    const name = current.metadata.name ?? "";
    const precondition = candidate.metadata.resourceVersion;
    if (precondition !== undefined && precondition !== "" && precondition !== current.metadata.resourceVersion) {
      throw conflict(kind.resource, kind.group, name);
    }
    const next = cloneJson(candidate);
    next.metadata = {
      ...next.metadata,
      name,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
    };
    if (kind.namespaced) next.metadata.namespace = current.metadata.namespace;
    else delete next.metadata.namespace;
    if (current.metadata.generation === undefined) delete next.metadata.generation;
    else next.metadata.generation = current.metadata.generation;
    delete next.metadata.resourceVersion;
    if (kind.statusSubresource && !writesStatus) {
      if (current.status === undefined) delete next.status;
      else next.status = cloneJson(current.status);
    }
    const admitted = kind.admit ? kind.admit(next, cloneJson(current)) : next;
    if (kind.tracksGeneration && !jsonEqual(specOf(admitted), specOf(current))) {
      admitted.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    // Like the API server, a write that changes nothing keeps the resourceVersion and emits no event.
    const unchanged = {
      ...admitted,
      metadata: { ...admitted.metadata, resourceVersion: current.metadata.resourceVersion },
    };
    if (jsonEqual(unchanged, current)) return current;
    if (options.dryRun) return unchanged;
    return this.store.update(kind, admitted);
  }

  #subresource(kind: ResourceKind, subresource: string): SubresourceHandler {
    const handler = kind.subresources?.[subresource];
    if (!handler)
      throw new StatusError(
        404,
        `the server could not find the requested resource (${kind.resource}/${subresource})`,
        "NotFound",
      );
    return handler;
  }

  #objectBody(kind: ResourceKind, body: unknown, apiVersion: string, kindName: string): KubeObject {
    if (!isPlainObject(body)) throw badRequest(`the body of a ${kindName} request must be a JSON object`);
    const object = cloneJson(body) as KubeObject;
    if (object.apiVersion !== undefined && object.apiVersion !== apiVersion) {
      throw badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (object.kind !== undefined && object.kind !== kindName) {
      throw badRequest(
        `the kind in the data (${String(object.kind)}) does not match the expected kind (${kindName}) of ${kind.resource}`,
      );
    }
    if (object.metadata !== undefined && !isPlainObject(object.metadata))
      throw badRequest("metadata must be an object");
    object.apiVersion = apiVersion;
    object.kind = kindName;
    object.metadata ??= {};
    return object;
  }

  #checkIdentity(kind: ResourceKind, object: KubeObject, namespace: string, name: string): void {
    if (object.metadata.name !== undefined && object.metadata.name !== name) {
      throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (kind.namespaced && object.metadata.namespace && object.metadata.namespace !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
  }

  #requireNamespace(namespace: string): void {
    const served = this.registry.find(
      NAMESPACE_RESOURCE.group,
      NAMESPACE_RESOURCE.version,
      NAMESPACE_RESOURCE.resource,
    );
    if (served && !this.store.get(NAMESPACE_RESOURCE, "", namespace)) {
      throw notFound(NAMESPACE_RESOURCE.resource, NAMESPACE_RESOURCE.group, namespace);
    }
  }

  #matcher(options: ListOptions): (object: KubeObject) => boolean {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    return (object) => matchesLabelSelector(labels, object.metadata.labels) && matchesFieldSelector(fields, object);
  }
}

/** Applies a patch of the given type to a document. */
export function applyPatch(type: PatchType, document: unknown, patch: unknown): unknown {
  switch (type) {
    case "json":
      return applyJsonPatch(document, patch);
    case "merge":
      if (!isPlainObject(patch)) throw badRequest("a merge patch must be a JSON object");
      return applyMergePatch(document, patch);
    case "strategic":
      if (!isPlainObject(patch)) throw badRequest("a strategic merge patch must be a JSON object");
      return applyStrategicMergePatch(document, patch);
  }
}

function scopeOf(kind: ResourceKind, namespace: string): string {
  return kind.namespaced ? namespace : "";
}

function viewApiVersion(kind: ResourceKind, handler: SubresourceHandler): string {
  return apiVersionOf({ group: handler.group ?? kind.group, version: handler.version ?? kind.version });
}

/** Everything but metadata and status: what a change to bumps `metadata.generation`. */
function specOf(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

function randomSuffix(): string {
  let suffix = "";
  for (let i = 0; i < 5; i++)
    suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return suffix;
}
