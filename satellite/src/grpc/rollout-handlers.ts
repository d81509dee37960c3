import { SentraError } from "@sentra/common";
import { type SatelliteService, type ServiceImplementation, TrafficRouterKind } from "@sentra/proto";
import type { ReleaseGuard } from "../release-guard/index.js";
import type { TrafficRouterName } from "../traffic/index.js";

/** The SatelliteService methods the release guard serves. */
export type RolloutMethod = "startRollout" | "getRollout" | "listRollouts" | "promoteRollout" | "abortRollout";

/** The rollout commands of SatelliteService, served by the satellite's release guard. */
export function createRolloutHandlers(
  guard: ReleaseGuard,
): Pick<ServiceImplementation<typeof SatelliteService>, RolloutMethod> {
  return {
    async startRollout(request) {
      return guard.start({
        rolloutId: request.rolloutId,
        cluster: request.cluster,
        namespace: request.namespace,
        service: request.service,
        stableVersion: request.stableVersion,
        canaryVersion: request.canaryVersion,
        policyYaml: request.policyYaml,
        router: routerName(request.trafficRouter),
        routeName: request.routeName,
        parentId: request.parentId,
      });
    },

    async getRollout(request) {
      return { rollout: guard.get(requireId(request.rolloutId)) };
    },

    async listRollouts(request) {
      return { rollouts: guard.list(request.activeOnly) };
    },

    async promoteRollout(request) {
      return {
        rollout: await guard.promote(requireId(request.rolloutId), { full: request.full, actor: request.actor }),
      };
    },

    async abortRollout(request) {
      return {
        rollout: await guard.abort(requireId(request.rolloutId), { reason: request.reason, actor: request.actor }),
      };
    },
  };
}

/** The router a request names; unset means the Gateway API (the primary target). */
function routerName(kind: TrafficRouterKind): TrafficRouterName {
  switch (kind) {
    case TrafficRouterKind.UNSPECIFIED:
    case TrafficRouterKind.GATEWAY_API:
      return "gateway-api";
    case TrafficRouterKind.ISTIO:
      return "istio";
    case TrafficRouterKind.NGINX:
      return "nginx";
    case TrafficRouterKind.REPLICA_RATIO:
      return "replica-ratio";
    default:
      throw SentraError.invalidArgument("traffic_router", `unknown router ${kind}`);
  }
}

function requireId(rolloutId: string): string {
  if (rolloutId === "") throw SentraError.invalidArgument("rollout_id", "is required");
  return rolloutId;
}
