import { SentraError } from "@sentra/common";
import type { CustomResourceRef } from "../cluster/kube-cluster.js";
import type { RolloutTarget } from "../rollout/index.js";
import { CustomObjectWeightRouter, type CustomObjectWeightRouterOptions } from "./custom-object-weight-router.js";
import { CANARY_WEIGHT_ANNOTATION, ROLLOUT_ANNOTATION } from "./gateway-api-router.js";
import { versionedName } from "./traffic-binding.js";

/** The Istio resource the router edits (`networking.istio.io/v1`, Istio 1.22+). */
export const VIRTUAL_SERVICE: CustomResourceRef = Object.freeze({
  group: "networking.istio.io",
  version: "v1",
  plural: "virtualservices",
});

interface RouteDestination {
  destination: { host: string; subset?: string; port?: { number?: number }; [key: string]: unknown };
  weight?: number;
  [key: string]: unknown;
}

interface VirtualService {
  metadata: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { http?: { route?: RouteDestination[]; [key: string]: unknown }[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** Options of {@link IstioRouter}. */
export type IstioRouterOptions = CustomObjectWeightRouterOptions;

/**
 * Moves traffic by the destination weights of an Istio VirtualService (`route_name`, default the
 * service name). Destinations are **one Service per version** — host `<service>-<version>`, short
 * or as `<service>-<version>.<namespace>.svc.cluster.local` — the same convention as the Gateway
 * API router, so no DestinationRule subsets are needed. Every `spec.http[]` route that sends traffic
 * to the stable or canary host gets weights `100 − w` / `w`; a missing canary destination is added
 * next to the stable one (same host form and port). TCP and TLS routes are left alone. Writes are a
 * compare-and-swap on the resourceVersion, re-read and retried on a conflict (409); setting the
 * weight the VirtualService already has writes nothing.
 */
export class IstioRouter extends CustomObjectWeightRouter<VirtualService> {
  protected readonly resource = VIRTUAL_SERVICE;
  protected readonly kind = "VirtualService";

  /** Sets the weights on `service` in place; returns whether anything changed. */
  protected edit(service: VirtualService, target: RolloutTarget, weight: number): boolean {
    if (target.stableVersion === undefined) {
      throw SentraError.invalidArgument("stable_version", "the Istio router needs the stable version");
    }
    const where = `VirtualService ${target.namespace}/${service.metadata.name}`;
    const stableName = versionedName(target.service, target.stableVersion);
    const canaryName = versionedName(target.service, target.version);
    const fqdn = (name: string) => `${name}.${target.namespace}.svc.cluster.local`;
    const names = (entry: RouteDestination, name: string) =>
      entry.destination.host === name || entry.destination.host === fqdn(name);
    let changed = false;
    let managed = 0;
    for (const [index, http] of (service.spec?.http ?? []).entries()) {
      const route = http.route ?? [];
      const stable = route.find((entry) => names(entry, stableName));
      let canary = route.find((entry) => names(entry, canaryName));
      if (stable === undefined && canary === undefined) continue;
      // A destination without a weight may get traffic: only an explicit 0 leaves it out.
      const others = route.filter((entry) => entry !== stable && entry !== canary && (entry.weight ?? 1) > 0);
      if (others.length > 0) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `${where}: http[${index}] also routes to ${others.map((entry) => entry.destination.host).join(", ")}; the release guard needs ${stableName} and ${canaryName} to be the only weighted destinations of the routes it manages`,
          { field: "route_name" },
        );
      }
      if (stable === undefined) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `${where}: http[${index}] routes to the canary ${canaryName} but not to the stable ${stableName}`,
          { field: "stable_version" },
        );
      }
      if (canary === undefined) {
        const host = stable.destination.host === stableName ? canaryName : fqdn(canaryName);
        canary = {
          destination: { host, ...(stable.destination.port === undefined ? {} : { port: stable.destination.port }) },
          weight: 0,
        };
        http.route = [...route, canary];
        changed = true;
      }
      managed += 1;
      if (stable.weight !== 100 - weight || canary.weight !== weight) {
        stable.weight = 100 - weight;
        canary.weight = weight;
        changed = true;
      }
    }
    if (managed === 0) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${where} has no HTTP route to the stable Service ${stableName}: route to host ${stableName} (Deployments and Services are named <service>-<version>)`,
        { field: "route_name" },
      );
    }
    const annotations = service.metadata.annotations ?? {};
    if (
      changed ||
      annotations[CANARY_WEIGHT_ANNOTATION] !== String(weight) ||
      annotations[ROLLOUT_ANNOTATION] !== target.id
    ) {
      service.metadata.annotations = {
        ...annotations,
        [ROLLOUT_ANNOTATION]: target.id,
        [CANARY_WEIGHT_ANNOTATION]: String(weight),
      };
      changed = true;
    }
    return changed;
  }
}
