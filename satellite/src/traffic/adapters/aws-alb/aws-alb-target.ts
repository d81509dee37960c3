import { z } from "zod";

const ARN_PREFIX = String.raw`arn:aws[a-z-]*:elasticloadbalancing:[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d:\d{12}:`;
/** An Application Load Balancer listener ARN. */
const LISTENER_ARN = new RegExp(`^${ARN_PREFIX}listener/app/[a-zA-Z0-9-]{1,32}/[0-9a-f]+/[0-9a-f]+$`);
/** An Application Load Balancer listener rule ARN. */
const RULE_ARN = new RegExp(`^${ARN_PREFIX}listener-rule/app/[a-zA-Z0-9-]{1,32}/[0-9a-f]+/[0-9a-f]+/[0-9a-f]+$`);
/** A target group ARN. */
const TARGET_GROUP_ARN = new RegExp(`^${ARN_PREFIX}targetgroup/[a-zA-Z0-9-]{1,32}/[0-9a-f]+$`);
/** A rollout version as a key of `targetGroups` (what the release guard accepts for an adapter's versions). */
const VERSION_KEY = /^[A-Za-z0-9$][A-Za-z0-9._:$+-]{0,127}$/;

/**
 * The policy's `router:` section for an ALB in front of ECS / Fargate (or any target groups):
 * ```yaml
 * router:
 *   adapter: aws-alb
 *   listener: arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2
 *   # or, for one path of the listener: rule: arn:aws:elasticloadbalancing:…:listener-rule/app/shop/…/…/…
 *   targetGroups:                  # rollout version → the target group its tasks register in
 *     v1: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-v1/73e2d6bc24d8a067
 *     v2: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-v2/a1b2c3d4e5f60718
 * ```
 * The rollout's `stableVersion` and `version` pick the stable and canary target groups, so the same
 * policy serves every rollout that alternates between them (blue/green target groups). The region
 * is the ARNs'.
 */
export interface AwsAlbTarget {
  readonly adapter: "aws-alb";
  readonly listener?: string;
  readonly rule?: string;
  readonly targetGroups: Readonly<Record<string, string>>;
}

export const awsAlbTargetSchema: z.ZodType<AwsAlbTarget> = z
  .strictObject({
    adapter: z.literal("aws-alb"),
    listener: z
      .string()
      .regex(LISTENER_ARN, "must be an Application Load Balancer listener ARN (…:listener/app/<name>/<id>/<id>)")
      .optional(),
    rule: z
      .string()
      .regex(RULE_ARN, "must be a listener rule ARN (…:listener-rule/app/<name>/<id>/<id>/<id>)")
      .optional(),
    targetGroups: z
      .record(
        z
          .string()
          .regex(VERSION_KEY, "must be a version name: up to 128 letters, digits, '.', '_', ':', '$', '+' and '-'"),
        z.string().regex(TARGET_GROUP_ARN, "must be a target group ARN (…:targetgroup/<name>/<id>)"),
      )
      .refine((groups) => Object.keys(groups).length >= 2, "must map at least the stable and the canary version"),
  })
  .superRefine((target, context) => {
    if ((target.listener === undefined) === (target.rule === undefined)) {
      context.addIssue({
        code: "custom",
        path: target.rule === undefined ? ["listener"] : ["rule"],
        message: "give exactly one of listener (its default action) or rule (a listener rule)",
      });
      return;
    }
    const region = regionOf(target.listener ?? target.rule ?? "");
    for (const [version, arn] of Object.entries(target.targetGroups)) {
      if (regionOf(arn) !== region) {
        context.addIssue({
          code: "custom",
          path: ["targetGroups", version],
          message: `is in ${regionOf(arn)} but the ${target.listener ? "listener" : "rule"} is in ${region}`,
        });
      }
    }
    const arns = Object.values(target.targetGroups);
    if (new Set(arns).size !== arns.length) {
      context.addIssue({ code: "custom", path: ["targetGroups"], message: "two versions name the same target group" });
    }
  });

function regionOf(arn: string): string | undefined {
  return arn.split(":")[3];
}
