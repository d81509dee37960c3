import type { Decision, Incident, RolloutPhase, RolloutState } from "./rollout-state-machine.js";
import type { RolloutTarget } from "./traffic-router.js";

/** A change of phase. */
export interface RolloutTransitionRecord {
  readonly rollout: RolloutTarget;
  readonly at: string;
  readonly from: RolloutPhase;
  readonly to: RolloutPhase;
  /** The state entered. */
  readonly state: RolloutState;
}

/** A decision with the rollout it belongs to and the state after it (persist it to resume after a restart). */
export interface RolloutDecisionRecord extends Decision {
  readonly rollout: RolloutTarget;
  readonly state: RolloutState;
}

/** An incident with the rollout it belongs to. */
export interface RolloutIncidentRecord extends Incident {
  readonly rollout: RolloutTarget;
}

/**
 * Port: where rollout events go (NATS JetStream `sentra.v1.sat.<id>.event`, logs, tests). Calls
 * are awaited in order per rollout; a throwing sink is logged and does not stop the rollout,
 * because guarding traffic matters more than reporting it.
 */
export interface RolloutEventSink {
  transition(record: RolloutTransitionRecord): void | Promise<void>;
  decision(record: RolloutDecisionRecord): void | Promise<void>;
  incident(record: RolloutIncidentRecord): void | Promise<void>;
}
