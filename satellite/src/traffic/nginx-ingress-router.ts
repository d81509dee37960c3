import type { V1HTTPIngressPath, V1Ingress } from "@kubernetes/client-node";
import { type Logger, SentraError } from "@sentra/common";
import type { KubeCluster } from "../cluster/kube-cluster.js";
import type { RolloutTarget, TrafficRouter } from "../rollout/index.js";
import { CANARY_WEIGHT_ANNOTATION, ROLLOUT_ANNOTATION } from "./gateway-api-router.js";
import { type TrafficBindingResolver, versionedName } from "./traffic-binding.js";
import { updateWithRetry } from "./update-with-retry.js";

/** ingress-nginx: marks an Ingress as the canary of the Ingress with the same host and path. */
export const NGINX_CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary";
/** ingress-nginx: the canary's share of requests, out of `canary-weight-total`. */
export const NGINX_CANARY_WEIGHT_ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight";
/** ingress-nginx: the total the canary weight is a share of (its default, 100, written explicitly). */
export const NGINX_CANARY_WEIGHT_TOTAL_ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight-total";
/** On the canary Ingress: the primary Ingress it is the canary of. Only Ingresses carrying it are edited. */
export const CANARY_OF_ANNOTATION = "sentra.io/canary-of";

/** The class annotation older Ingresses use instead of `spec.ingressClassName`; copied to the canary. */
const LEGACY_INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

/** The canary Ingress of a primary Ingress: `<route>-canary`. */
export function canaryIngressName(routeName: string): string {
  return `${routeName}-canary`;
}

/** Options of {@link NginxIngressRouter}. */
export interface NginxIngressRouterOptions {
  /** @default DEFAULT_MAX_CONFLICT_RETRIES (5) */
  readonly maxConflictRetries?: number;
  readonly logger?: Logger;
}

/**
 * Moves traffic with ingress-nginx canary annotations. The primary Ingress (`route_name`, default
 * the service name) routes to the stable Service `<service>-<stable>`. Beside it the router keeps a
 * canary Ingress `<route>-canary`: the primary's host/path rules that route to the stable (or
 * canary) Service, pointed at the canary Service, with `canary: "true"`, `canary-weight: w` and
 * `canary-weight-total: 100`. A weight below 100 is the canary Ingress's weight (a rollback sets 0;
 * the canary Ingress stays, at 0). At 100 the primary itself is pointed at the canary Service and
 * the canary Ingress goes back to 0 — so after a promotion the primary routes to the new version and
 * the next rollout starts from it. Both switches are make-before-break: the canary Ingress carries
 * 100 % while the primary is repointed, in either direction. Every write is a compare-and-swap on
 * the resourceVersion, re-read and retried on a conflict (409); a weight already in place writes
 * nothing.
 */
export class NginxIngressRouter implements TrafficRouter {
  constructor(
    private readonly resolve: TrafficBindingResolver,
    private readonly options: NginxIngressRouterOptions = {},
  ) {}

  /**
   * Checks before a rollout starts that the primary Ingress exists and routes to the stable
   * Service, and that `<route>-canary`, if present, is a canary Ingress of this router.
   * @throws SentraError NOT_FOUND (no Ingress), FAILED_PRECONDITION (nothing routes to the stable
   *   version; the primary is a canary itself; `<route>-canary` belongs to someone else)
   */
  async check(target: RolloutTarget): Promise<void> {
    const { cluster, routeName, names } = this.context(target);
    const primary = await cluster.getIngress(target.namespace, routeName);
    this.checkPrimary(primary, target, names, routeName);
    if (!paths(primary).some((path) => backendOf(path) === names.stable)) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `Ingress ${target.namespace}/${routeName} has no path routing to the stable Service ${names.stable}: point a path's backend at it (Deployments and Services are named <service>-<version>)`,
        { field: "route_name" },
      );
    }
    const canary = await this.readCanary(cluster, target.namespace, routeName);
    if (canary !== undefined) this.checkCanary(canary, target.namespace, routeName);
  }

  async setCanaryWeight(target: RolloutTarget, weight: number): Promise<void> {
    const { cluster, routeName, names } = this.context(target);
    const primary = await cluster.getIngress(target.namespace, routeName);
    this.checkPrimary(primary, target, names, routeName);
    const routesTo = (service: string) => paths(primary).some((path) => backendOf(path) === service);
    // The primary routes to the stable below 100 % and to the canary at 100 %. Moving it is
    // make-before-break: the canary Ingress carries every request while it changes.
    const primaryTarget = weight >= 100 ? names.canary : names.stable;
    const primarySource = weight >= 100 ? names.stable : names.canary;
    if (routesTo(primarySource)) {
      await this.applyCanary(cluster, target, routeName, names, 100);
      await this.repointPrimary(cluster, target, routeName, primarySource, primaryTarget);
    }
    await this.applyCanary(cluster, target, routeName, names, weight >= 100 ? 0 : weight);
  }

  private context(target: RolloutTarget) {
    if (target.stableVersion === undefined) {
      throw SentraError.invalidArgument("stable_version", "the NGINX router needs the stable version");
    }
    const { binding, cluster } = this.resolve(target.id);
    const names = {
      stable: versionedName(target.service, target.stableVersion),
      canary: versionedName(target.service, target.version),
    };
    return { cluster, routeName: binding.routeName, names };
  }

  private checkPrimary(
    primary: V1Ingress,
    target: RolloutTarget,
    names: { stable: string; canary: string },
    routeName: string,
  ): void {
    const where = `Ingress ${target.namespace}/${routeName}`;
    if (primary.metadata?.annotations?.[NGINX_CANARY_ANNOTATION] === "true") {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${where} is itself a canary Ingress; name the primary Ingress in route_name`,
        { field: "route_name" },
      );
    }
    const routed = paths(primary).filter((path) => [names.stable, names.canary].includes(backendOf(path) ?? ""));
    if (routed.length === 0) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `${where} has no path routing to the stable Service ${names.stable}: point a path's backend at it (Deployments and Services are named <service>-<version>)`,
        { field: "route_name" },
      );
    }
  }

  private checkCanary(canary: V1Ingress, namespace: string, routeName: string): void {
    if (canary.metadata?.annotations?.[CANARY_OF_ANNOTATION] !== routeName) {
      throw new SentraError(
        "FAILED_PRECONDITION",
        `Ingress ${namespace}/${canaryIngressName(routeName)} exists but was not created by the release guard for ${routeName} (no ${CANARY_OF_ANNOTATION}: ${routeName} annotation); rename or delete it`,
        { field: "route_name" },
      );
    }
  }

  private async readCanary(cluster: KubeCluster, namespace: string, routeName: string): Promise<V1Ingress | undefined> {
    try {
      return await cluster.getIngress(namespace, canaryIngressName(routeName));
    } catch (error) {
      if (error instanceof SentraError && error.code === "NOT_FOUND") return undefined;
      throw error;
    }
  }

  /** Creates or updates the canary Ingress to the primary's stable/canary paths at `weight`. */
  private async applyCanary(
    cluster: KubeCluster,
    target: RolloutTarget,
    routeName: string,
    names: { stable: string; canary: string },
    weight: number,
  ): Promise<void> {
    const { namespace } = target;
    const name = canaryIngressName(routeName);
    await updateWithRetry<{ primary: V1Ingress; canary: V1Ingress | undefined; desired?: V1Ingress }>({
      read: async () => {
        const [primary, canary] = await Promise.all([
          cluster.getIngress(namespace, routeName),
          this.readCanary(cluster, namespace, routeName),
        ]);
        return { primary, canary };
      },
      edit: (state) => {
        if (state.canary !== undefined) this.checkCanary(state.canary, namespace, routeName);
        const desired = canaryIngress(state.primary, state.canary, target, routeName, names, weight);
        state.desired = desired;
        return state.canary === undefined || !sameIngress(state.canary, desired);
      },
      write: (state) => {
        const desired = state.desired as V1Ingress;
        return state.canary === undefined
          ? cluster.createIngress(namespace, desired)
          : cluster.replaceIngress(namespace, name, desired);
      },
      ...this.retryOptions(target, name),
    });
  }

  /**
   * Points the primary's paths at `to` instead of `from`. Its `defaultBackend` is left alone: the
   * canary Ingress never carried that traffic, so it was never judged.
   */
  private async repointPrimary(
    cluster: KubeCluster,
    target: RolloutTarget,
    routeName: string,
    from: string,
    to: string,
  ): Promise<void> {
    await updateWithRetry<V1Ingress>({
      read: () => cluster.getIngress(target.namespace, routeName),
      edit: (primary) => {
        let changed = false;
        for (const path of paths(primary)) {
          if (path.backend.service?.name === from) {
            path.backend.service.name = to;
            changed = true;
          }
        }
        if (changed) {
          primary.metadata = {
            ...primary.metadata,
            annotations: { ...primary.metadata?.annotations, [ROLLOUT_ANNOTATION]: target.id },
          };
        }
        return changed;
      },
      write: (primary) => cluster.replaceIngress(target.namespace, routeName, primary),
      ...this.retryOptions(target, routeName),
    });
    this.options.logger?.info(
      { rollout: target.id, ingress: `${target.namespace}/${routeName}`, from, to },
      "primary Ingress repointed",
    );
  }

  private retryOptions(target: RolloutTarget, ingress: string) {
    return {
      ...(this.options.maxConflictRetries === undefined ? {} : { maxRetries: this.options.maxConflictRetries }),
      onConflict: (attempt: number) =>
        this.options.logger?.debug(
          { rollout: target.id, ingress, attempt },
          "Ingress changed concurrently (or was created meanwhile); retrying",
        ),
    };
  }
}

/** Every path of every rule of an Ingress. */
function paths(ingress: V1Ingress): V1HTTPIngressPath[] {
  return (ingress.spec?.rules ?? []).flatMap((rule) => rule.http?.paths ?? []);
}

function backendOf(path: V1HTTPIngressPath): string | undefined {
  return path.backend.service?.name;
}

/**
 * The canary Ingress as it should be: the primary's rules reduced to the paths that route to the
 * stable or canary Service, pointed at the canary; the canary annotations; kept: its other
 * annotations and labels, and its resourceVersion (for the compare-and-swap).
 */
function canaryIngress(
  primary: V1Ingress,
  current: V1Ingress | undefined,
  target: RolloutTarget,
  routeName: string,
  names: { stable: string; canary: string },
  weight: number,
): V1Ingress {
  const rules = (primary.spec?.rules ?? []).flatMap((rule) => {
    const managed = (rule.http?.paths ?? []).filter((path) =>
      [names.stable, names.canary].includes(backendOf(path) ?? ""),
    );
    if (managed.length === 0) return [];
    return [
      {
        ...(rule.host === undefined ? {} : { host: rule.host }),
        http: {
          paths: managed.map((path) => ({
            ...structuredClone(path),
            backend: { service: { ...structuredClone(path.backend.service), name: names.canary } },
          })),
        },
      },
    ];
  });
  const legacyClass = primary.metadata?.annotations?.[LEGACY_INGRESS_CLASS_ANNOTATION];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: canaryIngressName(routeName),
      namespace: target.namespace,
      ...(current?.metadata?.resourceVersion === undefined
        ? {}
        : { resourceVersion: current.metadata.resourceVersion }),
      labels: { ...current?.metadata?.labels, "app.kubernetes.io/managed-by": "sentra" },
      annotations: {
        ...current?.metadata?.annotations,
        // Ingresses that pick their controller by the legacy annotation instead of ingressClassName.
        ...(legacyClass === undefined ? {} : { [LEGACY_INGRESS_CLASS_ANNOTATION]: legacyClass }),
        [NGINX_CANARY_ANNOTATION]: "true",
        [NGINX_CANARY_WEIGHT_ANNOTATION]: String(weight),
        [NGINX_CANARY_WEIGHT_TOTAL_ANNOTATION]: "100",
        [CANARY_OF_ANNOTATION]: routeName,
        [ROLLOUT_ANNOTATION]: target.id,
        [CANARY_WEIGHT_ANNOTATION]: String(weight),
      },
    },
    spec: {
      ...(primary.spec?.ingressClassName === undefined ? {} : { ingressClassName: primary.spec.ingressClassName }),
      rules,
    },
  };
}

/** Whether the stored canary Ingress already is as desired (metadata the router sets, and spec). */
function sameIngress(current: V1Ingress, desired: V1Ingress): boolean {
  const annotations = desired.metadata?.annotations ?? {};
  const labels = desired.metadata?.labels ?? {};
  return (
    Object.entries(annotations).every(([key, value]) => current.metadata?.annotations?.[key] === value) &&
    Object.entries(labels).every(([key, value]) => current.metadata?.labels?.[key] === value) &&
    JSON.stringify(normalise(current.spec)) === JSON.stringify(normalise(desired.spec))
  );
}

/** A spec as plain JSON with keys in a stable order, so equal specs compare equal. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, normalise(item)]),
    );
  }
  return value;
}
