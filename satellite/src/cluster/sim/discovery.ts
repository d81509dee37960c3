import { apiVersionOf, type ResourceKind, type ResourceRegistry } from "./resource-kind.js";

/** Kubernetes version the simulated API server reports (what `kubectl version` prints). */
export const SIMULATED_KUBERNETES_VERSION = { major: "1", minor: "32", gitVersion: "v1.32.0-sentra-sim" } as const;

const ITEM_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];

/** `GET /version`. */
export function versionInfo() {
  return {
    ...SIMULATED_KUBERNETES_VERSION,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.23.0",
    compiler: "gc",
    platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}

/** `GET /api`: the core group's versions. */
export function coreApiVersions(serverAddress: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

/** `GET /apis`: every named group served, each with its versions (the first is preferred). */
export function apiGroupList(registry: ResourceRegistry) {
  return { kind: "APIGroupList", apiVersion: "v1", groups: registry.groups().map(toApiGroup) };
}

/** `GET /apis/{group}`, or undefined when the group is not served. */
export function apiGroup(registry: ResourceRegistry, group: string) {
  const found = registry.groups().find((g) => g.name === group);
  return found && { kind: "APIGroup", apiVersion: "v1", ...toApiGroup(found) };
}

/**
 * `GET /api/v1` or `GET /apis/{group}/{version}`: the resources and subresources of one
 * group/version, or undefined when it is not served. kubectl reads verbs and kinds from here.
 */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string) {
  const kinds = registry.inGroupVersion(group, version);
  if (kinds.length === 0 && group !== "") return undefined;
  if (group === "" && version !== "v1") return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: apiVersionOf({ group, version }),
    resources: kinds.flatMap(resourceEntries),
  };
}

function toApiGroup(group: { name: string; versions: string[] }) {
  const versions = group.versions.map((version) => ({ groupVersion: `${group.name}/${version}`, version }));
  return { name: group.name, versions, preferredVersion: versions[0] };
}

function resourceEntries(kind: ResourceKind) {
  const main = {
    name: kind.resource,
    singularName: kind.singular,
    namespaced: kind.namespaced,
    kind: kind.kind,
    verbs: ITEM_VERBS,
    ...(kind.shortNames ? { shortNames: [...kind.shortNames] } : {}),
    ...(kind.categories ? { categories: [...kind.categories] } : {}),
    storageVersionHash: storageVersionHash(kind),
  };
  const subresources = Object.entries(kind.subresources ?? {}).map(([name, handler]) => ({
    name: `${kind.resource}/${name}`,
    singularName: "",
    namespaced: kind.namespaced,
    ...(handler.group === undefined ? {} : { group: handler.group }),
    ...(handler.version === undefined ? {} : { version: handler.version }),
    kind: handler.kind,
    verbs: [...handler.verbs],
  }));
  return [main, ...subresources];
}

/** An opaque, stable hash per resource (clients only compare it for equality). */
function storageVersionHash(kind: ResourceKind): string {
  return Buffer.from(`${kind.group}/${kind.version}/${kind.kind}`).toString("base64").slice(0, 11);
}
