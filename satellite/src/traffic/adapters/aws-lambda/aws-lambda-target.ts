import { z } from "zod";

/** A function name, partial ARN (`123456789012:function:name`) or ARN, unqualified (the alias is its own field). */
const FUNCTION_PATTERN =
  /^(arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d:)?(\d{12}:)?(function:)?[a-zA-Z0-9_-]{1,64}$/;
/** Lambda's alias name rule: letters, digits, `-` and `_`, not only digits. */
const ALIAS_PATTERN = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;
/** An AWS region code (`eu-west-1`, `us-gov-west-1`). */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/**
 * The policy's `router:` section for a Lambda alias:
 * ```yaml
 * router:
 *   adapter: aws-lambda
 *   function: checkout        # name, partial ARN or ARN (unqualified)
 *   alias: live
 *   region: eu-west-1         # optional: the ARN's region, else the SDK's (AWS_REGION)
 * ```
 * The rollout's `version` and `stableVersion` are published version numbers of the function.
 */
export interface AwsLambdaTarget {
  readonly adapter: "aws-lambda";
  readonly function: string;
  readonly alias: string;
  readonly region?: string;
}

export const awsLambdaTargetSchema: z.ZodType<AwsLambdaTarget> = z
  .strictObject({
    adapter: z.literal("aws-lambda"),
    function: z
      .string()
      .regex(
        FUNCTION_PATTERN,
        "must be a function name, partial ARN or ARN without a qualifier (put the alias in router.alias)",
      ),
    alias: z.string().regex(ALIAS_PATTERN, "must be an alias name: 1–128 letters, digits, '-' or '_', not only digits"),
    region: z.string().regex(AWS_REGION_PATTERN, "must be an AWS region code such as eu-west-1").optional(),
  })
  .superRefine((target, context) => {
    const arnRegion = /^arn:[^:]+:lambda:([^:]+):/.exec(target.function)?.[1];
    if (arnRegion !== undefined && target.region !== undefined && arnRegion !== target.region) {
      context.addIssue({
        code: "custom",
        path: ["region"],
        message: `is ${target.region} but the function ARN is in ${arnRegion}; remove region or make them agree`,
      });
    }
  });
