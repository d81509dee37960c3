import { Injectable } from "@nestjs/common";
import type { CallContext, CoordinatorService, ServiceImplementation } from "@sentra/proto";
import { parseInput } from "../migration/migration-input.js";
import { RolloutService } from "./rollout.service.js";
import { abortRolloutInputSchema, promoteRolloutInputSchema } from "./rollout-action-input.js";

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

      promoteRollout: async (request, context) => {
        const input = parseInput(promoteRolloutInputSchema, request, "proto");
        return { rollout: await this.rollouts.promote(input.rolloutId, input.full, input.actor || callerOf(context)) };
      },

      abortRollout: async (request, context) => {
        const input = parseInput(abortRolloutInputSchema, request, "proto");
        return {
          rollout: await this.rollouts.abort(input.rolloutId, {
            reason: input.reason,
            actor: input.actor || callerOf(context),
            rollbackCompletedWaves: input.rollbackCompletedWaves ?? false,
          }),
        };
      },

      getRolloutHistory: (request) => this.rollouts.history(request.rolloutId, request.limit),
    };
  }
}

/** Who is calling, when the request does not say: the mTLS identity, else the peer address. */
function callerOf(context: CallContext): string {
  return context.principal?.name ?? context.peerCommonName ?? `grpc:${context.peer}`;
}
