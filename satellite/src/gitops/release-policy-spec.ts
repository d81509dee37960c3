import { DNS_LABEL } from "@sentra/common";
import { stringify } from "yaml";
import { z } from "zod";
import { PolicyError } from "../rollout/policy-error.js";
import { parseRolloutPolicy } from "../rollout/rollout-policy.js";
import { TRAFFIC_ROUTER_NAMES, type TrafficRouterName } from "../traffic/traffic-binding.js";

/** A ReleasePolicy object as read from the API (spec unchecked until {@link readReleasePolicySpec}). */
export interface ReleasePolicyObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
  };
  spec?: unknown;
  status?: ReleasePolicyStatus;
}

/** One `status.conditions` entry, as Kubernetes conditions are shaped. */
export interface ReleasePolicyCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** What the satellite writes to `status`; it is also the controller's memory across restarts. */
export interface ReleasePolicyStatus {
  observedGeneration?: number;
  /** Initialized, Progressing, Paused, Promoted, RolledBack, Aborted, Failed, Invalid, Waiting. */
  phase?: string;
  /** The slot Deployment serving the stable template: "blue" or "green". */
  stableSlot?: string;
  stableTemplateHash?: string;
  /** Template of the rollout in flight (or last run). */
  canaryTemplateHash?: string;
  /** A template that was rolled back: not released again until the template changes. */
  failedTemplateHash?: string;
  /** A template whose rollout could not start, and the generation it was refused at. */
  refusedTemplateHash?: string;
  refusedGeneration?: number;
  rolloutId?: string;
  /** Whether `rolloutId` is still running (followed each pass) or has been settled. */
  rolloutActive?: boolean;
  /** Releases started so far; numbers the rollout ids. */
  releases?: number;
  /** The image(s) of the stable and canary templates, for people. */
  stableImages?: string;
  canaryImages?: string;
  canaryWeight?: number;
  step?: string;
  lastDecision?: string;
  message?: string;
  replicas?: number;
  conditions?: ReleasePolicyCondition[];
}

/** A checked spec, with its defaults applied. */
export interface ReleasePolicySpec {
  readonly targetName: string;
  readonly service: string;
  /** The policy as YAML, the form `StartRollout` takes ("" = the satellite's defaults). */
  readonly policyYaml: string;
  readonly router: TrafficRouterName;
  readonly routeName: string;
  readonly replicas: number | undefined;
  readonly suspend: boolean;
}

const specSchema = z.strictObject({
  targetRef: z.strictObject({
    apiVersion: z.literal("apps/v1").optional(),
    kind: z.literal("Deployment").optional(),
    name: z.string().max(63).regex(DNS_LABEL, "must be a Deployment name (lowercase letters, digits and '-')"),
  }),
  // 56: room for "-green" within a 63-character Service name.
  service: z.string().max(56).regex(DNS_LABEL, "must be a DNS label of at most 56 characters").optional(),
  policy: z.record(z.string(), z.unknown()).optional(),
  trafficRouter: z.enum(TRAFFIC_ROUTER_NAMES).optional(),
  routeName: z.string().min(1).max(253).optional(),
  replicas: z.number().int().min(1).max(1000).optional(),
  suspend: z.boolean().optional(),
});

/**
 * Checks a ReleasePolicy's spec. Problems name the field (`spec.targetRef.name: …`,
 * `spec.policy.gates[0].threshold: …`), all at once, as a status condition shows them.
 */
export function readReleasePolicySpec(
  object: ReleasePolicyObject,
): { ok: true; spec: ReleasePolicySpec } | { ok: false; problems: string[] } {
  const parsed = specSchema.safeParse(object.spec ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map(
        (issue) => `${["spec", ...issue.path.map(String)].join(".")}: ${issue.message}`,
      ),
    };
  }
  const spec = parsed.data;
  const service = spec.service ?? spec.targetRef.name;
  if (service.length > 56) {
    return {
      ok: false,
      problems: [`spec.service: defaults to targetRef.name, which is longer than 56 characters; set spec.service`],
    };
  }
  const policyYaml = spec.policy === undefined ? "" : stringify(spec.policy);
  if (policyYaml !== "") {
    try {
      parseRolloutPolicy(policyYaml, "spec.policy");
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      return {
        ok: false,
        problems: error.problems.map((problem) =>
          problem.path === "(policy)"
            ? `spec.policy: ${problem.message}`
            : `spec.policy.${problem.path}: ${problem.message}`,
        ),
      };
    }
  }
  return {
    ok: true,
    spec: {
      targetName: spec.targetRef.name,
      service,
      policyYaml,
      router: spec.trafficRouter ?? "gateway-api",
      routeName: spec.routeName ?? service,
      replicas: spec.replicas,
      suspend: spec.suspend ?? false,
    },
  };
}
