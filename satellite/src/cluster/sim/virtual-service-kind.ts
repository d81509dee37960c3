import { isPlainObject, type KubeObject } from "./kube-object.js";
import type { ResourceKind, ResourceRef } from "./resource-kind.js";
import { invalid } from "./status-error.js";
import { ageCell } from "./table.js";

/** Where Istio VirtualServices live (`networking.istio.io/v1`, Istio 1.22+). */
export const VIRTUAL_SERVICE_RESOURCE: ResourceRef = Object.freeze({
  group: "networking.istio.io",
  version: "v1",
  resource: "virtualservices",
});

/** Where a request goes: a host (a Service name, short or fully qualified) and optionally a subset and port. */
export interface IstioDestination {
  host: string;
  subset?: string;
  port?: { number?: number };
  [key: string]: unknown;
}

/** One weighted destination of an HTTP route. */
export interface IstioRouteDestination {
  destination: IstioDestination;
  /**
   * Relative share of the route's traffic (Istio: `weight / sum of weights`; 0 = none). A single
   * destination gets all traffic whatever its weight.
   */
  weight?: number;
  [key: string]: unknown;
}

/** One entry of `spec.http`: matches (kept as given) and weighted destinations. */
export interface IstioHttpRoute {
  name?: string;
  match?: unknown[];
  route?: IstioRouteDestination[];
  [key: string]: unknown;
}

/** A `networking.istio.io/v1` VirtualService, loosely typed beyond the fields the simulation uses. */
export interface VirtualServiceObject extends KubeObject {
  spec: {
    hosts?: string[];
    gateways?: string[];
    http?: IstioHttpRoute[];
    [key: string]: unknown;
  };
}

/**
 * The Istio `VirtualService` kind, with the validation of Istio's webhook that matters to a
 * traffic router: `hosts` is required, every HTTP route destination names a `host`, and weights
 * are integers from 0 to 100. TCP and TLS routes are stored as given.
 */
export function createVirtualServiceKind(): ResourceKind {
  return {
    ...VIRTUAL_SERVICE_RESOURCE,
    kind: "VirtualService",
    singular: "virtualservice",
    namespaced: true,
    shortNames: ["vs"],
    categories: ["istio-io", "networking-istio-io"],
    tracksGeneration: true,
    statusSubresource: true,
    admit(object) {
      const service = object as VirtualServiceObject;
      const name = service.metadata.name ?? "";
      const fail = (field: string, message: string) =>
        invalid("virtualservices", VIRTUAL_SERVICE_RESOURCE.group, name, field, message);
      const spec = isPlainObject(service.spec) ? service.spec : {};
      const hosts = spec.hosts;
      if (
        !Array.isArray(hosts) ||
        hosts.length === 0 ||
        hosts.some((host) => typeof host !== "string" || host === "")
      ) {
        throw fail("spec.hosts", "at least one host is required");
      }
      const http = spec.http ?? [];
      if (!Array.isArray(http)) throw fail("spec.http", "must be a list");
      for (const [routeIndex, route] of http.entries()) {
        if (!isPlainObject(route)) throw fail(`spec.http[${routeIndex}]`, "must be an object");
        const destinations = route.route ?? [];
        if (!Array.isArray(destinations)) throw fail(`spec.http[${routeIndex}].route`, "must be a list");
        for (const [index, entry] of destinations.entries()) {
          const field = `spec.http[${routeIndex}].route[${index}]`;
          if (!isPlainObject(entry) || !isPlainObject(entry.destination)) {
            throw fail(`${field}.destination`, "Required value");
          }
          if (typeof entry.destination.host !== "string" || entry.destination.host === "") {
            throw fail(`${field}.destination.host`, "Required value");
          }
          const weight = entry.weight;
          if (
            weight !== undefined &&
            (typeof weight !== "number" || !Number.isInteger(weight) || weight < 0 || weight > 100)
          ) {
            throw fail(`${field}.weight`, "must be an integer between 0 and 100");
          }
        }
      }
      service.spec = spec;
      service.status ??= {};
      return service;
    },
    tableColumns: [
      {
        name: "Gateways",
        type: "string",
        description: "The names of gateways and sidecars that should apply these routes.",
        cell: (s) => JSON.stringify((s as VirtualServiceObject).spec.gateways ?? []),
      },
      {
        name: "Hosts",
        type: "string",
        description: "The destination hosts to which traffic is being sent.",
        cell: (s) => JSON.stringify((s as VirtualServiceObject).spec.hosts ?? []),
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

/**
 * The Service a destination host names, as Istio resolves it: a short name (`reviews`) relative to
 * the VirtualService's namespace, or the fully qualified `reviews.shop.svc.cluster.local`.
 * Undefined for any other host (`api.example.com`), which is not a Service of the cluster.
 */
export function serviceOfIstioHost(host: string, namespace: string): { namespace: string; name: string } | undefined {
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(host)) return { namespace, name: host };
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\.cluster\.local$/.exec(host);
  return match?.[1] !== undefined && match[3] !== undefined ? { namespace: match[3], name: match[1] } : undefined;
}
