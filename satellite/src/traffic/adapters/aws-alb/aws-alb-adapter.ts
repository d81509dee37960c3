import type { RouterAdapterDefinition } from "../router-adapter.js";
import { AwsAlbRouter } from "./aws-alb-router.js";
import { type AwsAlbTarget, awsAlbTargetSchema } from "./aws-alb-target.js";

/** `router.adapter: aws-alb` — an ALB listener's (or rule's) weighted forward between two target groups. */
export const AWS_ALB_ADAPTER: RouterAdapterDefinition<AwsAlbTarget> = {
  name: "aws-alb",
  targetSchema: awsAlbTargetSchema,
  create: (target, context) => new AwsAlbRouter(target, context),
};
