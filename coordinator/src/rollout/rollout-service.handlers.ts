import { Injectable } from "@nestjs/common";
import { SentraError } from "@sentra/common";
import type { CallContext, CoordinatorService, ServiceImplementation } from "@sentra/proto";
import { RolloutService } from "./rollout.service.js";
import { MAX_ACTOR_LENGTH } from "./start-rollout-request.js";

type RolloutMethods =
  | "startRollout"
  | "getRollout"
  | "listRollouts"
  | "watchRollouts"
  | "promoteRollout"
  | "abortRollout"
  | "getRolloutHistory";

/** CoordinatorService rollout handlers: the gRPC edge of {@link RolloutService}. */
@Injectable()
export class RolloutServiceHandlers {
  constructor(private readonly rollouts: RolloutService) {}

  implementation(): Pick<ServiceImplementation<typeof CoordinatorService>, RolloutMethods> {
    return {
      startRollout: (request, context) => this.rollouts.start(request, callerOf(context)),

      getRollout: async (request) => ({ rollout: await this.rollouts.get(request.rolloutId) }),

      listRollouts: (request) =>
        this.rollouts.list({
          service: request.service,
          namespace: request.namespace,
          activeOnly: request.activeOnly,
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        }),

      watchRollouts: (request, context) =>
        this.rollouts.watch({ rolloutId: request.rolloutId, activeOnly: request.activeOnly }, context.signal),

      promoteRollout: async (request, context) => ({
        rollout: await this.rollouts.promote(request.rolloutId, request.full, actorOf(request.actor, context)),
      }),

      abortRollout: async (request, context) => ({
        rollout: await this.rollouts.abort(request.rolloutId, {
          reason: request.reason,
          actor: actorOf(request.actor, context),
          rollbackCompletedWaves: request.rollbackCompletedWaves,
        }),
      }),

      getRolloutHistory: (request) => this.rollouts.history(request.rolloutId, request.limit),
    };
  }
}

/** Who is calling, when the request does not say: the mTLS identity, else the peer address. */
function callerOf(context: CallContext): string {
  return context.principal?.name ?? context.peerCommonName ?? `grpc:${context.peer}`;
}

function actorOf(actor: string, context: CallContext): string {
  if (actor.length > MAX_ACTOR_LENGTH) {
    throw SentraError.invalidArgument("actor", `is longer than ${MAX_ACTOR_LENGTH} characters`);
  }
  return actor || callerOf(context);
}
