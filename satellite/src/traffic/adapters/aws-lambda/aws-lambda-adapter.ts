import type { RouterAdapterDefinition } from "../router-adapter.js";
import { AwsLambdaRouter } from "./aws-lambda-router.js";
import { type AwsLambdaTarget, awsLambdaTargetSchema } from "./aws-lambda-target.js";

/** `router.adapter: aws-lambda` — a Lambda alias's weighted routing between two published versions. */
export const AWS_LAMBDA_ADAPTER: RouterAdapterDefinition<AwsLambdaTarget> = {
  name: "aws-lambda",
  targetSchema: awsLambdaTargetSchema,
  create: (target, context) => new AwsLambdaRouter(target, context),
};
