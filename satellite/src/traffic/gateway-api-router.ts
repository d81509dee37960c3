import { SentraError } from "@sentra/common";
import type { CustomResourceRef } from "../cluster/kube-cluster.js";
import type { RolloutTarget } from "../rollout/index.js";
import { CustomObjectWeightRouter, type CustomObjectWeightRouterOptions } from "./custom-object-weight-router.js";
import { versionedName } from "./traffic-binding.js";

/** The Gateway API resource the router edits. */
export const HTTP_ROUTE: CustomResourceRef = Object.freeze({
  group: "gateway.networking.k8s.io",
  version: "v1",
  plural: "httproutes",
});

/** Annotation naming the rollout that last set the route's weights. */
export const ROLLOUT_ANNOTATION = "sentra.io/rollout";
/** Annotation holding the canary weight the rollout last set, in percent. */
export const CANARY_WEIGHT_ANNOTATION = "sentra.io/canary-weight";

interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [key: string]: unknown;
}

interface HttpRoute {
  metadata: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { rules?: { backendRefs?: BackendRef[]; [key: string]: unknown }[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** Options of {@link GatewayApiRouter}. */
export type GatewayApiRouterOptions = CustomObjectWeightRouterOptions;

/**
 * Moves traffic by the backend weights of a Gateway API HTTPRoute (the primary router). Every rule
 * that routes to the stable or canary Service (`<service>-<version>`) gets weights
 * `100 − w` / `w`; a missing canary backend is added next to the stable one, on the stable's port.
 * The write is a replace carrying the resourceVersion that was read, so a concurrent edit is never
 * overwritten: the router re-reads and retries (`updateWithRetry`). Setting the weight the route already has writes
 * nothing, which makes repeated calls (restore, rollback retries) idempotent.
 */
export class GatewayApiRouter extends CustomObjectWeightRouter<HttpRoute> {
  protected readonly resource = HTTP_ROUTE;
  protected readonly kind = "HTTPRoute";

  /** Sets the weights on `route` in place; returns whether anything changed. */
  protected edit(route: HttpRoute, target: RolloutTarget, weight: number): boolean {
    if (target.stableVersion === undefined) {
      throw SentraError.invalidArgument("stable_version", "the Gateway API router needs the stable version");
    }
    const where = `HTTPRoute ${target.namespace}/${route.metadata.name}`;
    const stableName = versionedName(target.service, target.stableVersion);
    const canaryName = versionedName(target.service, target.version);
    const isService = (ref: BackendRef) => (ref.kind ?? "Service") === "Service" && (ref.group ?? "") === "";
    const isNamed = (ref: BackendRef, name: string) =>
      isService(ref) && ref.name === name && (ref.namespace ?? target.namespace) === target.namespace;
    let changed = false;
    let managed = 0;
    for (const [index, rule] of (route.spec?.rules ?? []).entries()) {
      const refs = rule.backendRefs ?? [];
      const stable = refs.find((ref) => isNamed(ref, stableName));
      let canary = refs.find((ref) => isNamed(ref, canaryName));
      if (stable === undefined && canary === undefined) continue;
      const others = refs.filter((ref) => ref !== stable && ref !== canary && (ref.weight ?? 1) > 0);
      if (others.length > 0) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `${where}: rule ${index} also routes to ${others.map((ref) => ref.name).join(", ")}; the release guard needs ${stableName} and ${canaryName} to be the only weighted backends of the rules it manages`,
          { field: "route_name" },
        );
      }
      if (stable === undefined) {
        throw new SentraError(
          "FAILED_PRECONDITION",
          `${where}: rule ${index} routes to the canary ${canaryName} but not to the stable ${stableName}`,
          { field: "stable_version" },
        );
      }
      if (canary === undefined) {
        canary = {
          group: "",
          kind: "Service",
          name: canaryName,
          ...(stable.port === undefined ? {} : { port: stable.port }),
          weight: 0,
        };
        rule.backendRefs = [...refs, canary];
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
        `${where} has no rule routing to the stable Service ${stableName}: point a backendRef at it (Deployments and Services are named <service>-<version>)`,
        { field: "route_name" },
      );
    }
    const annotations = route.metadata.annotations ?? {};
    if (
      changed ||
      annotations[CANARY_WEIGHT_ANNOTATION] !== String(weight) ||
      annotations[ROLLOUT_ANNOTATION] !== target.id
    ) {
      route.metadata.annotations = {
        ...annotations,
        [ROLLOUT_ANNOTATION]: target.id,
        [CANARY_WEIGHT_ANNOTATION]: String(weight),
      };
      changed = true;
    }
    return changed;
  }
}
