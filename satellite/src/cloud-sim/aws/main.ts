/**
 * Starts a simulated AWS Lambda and a simulated ELBv2 endpoint for trying the aws-lambda and
 * aws-alb router adapters without an AWS account, and prints what to point a satellite at:
 *
 *   node satellite/dist/cloud-sim/aws/main.js --function checkout --service checkout --rps 50
 *   # {"lambdaUrl":"http://127.0.0.1:…","elbv2Url":"http://127.0.0.1:…","listenerArn":"arn:…","targetGroups":{…},…}
 *   SENTRA_ADAPTER_ENDPOINT_AWS_LAMBDA=<lambdaUrl> SENTRA_ADAPTER_ENDPOINT_AWS_ALB=<elbv2Url> \
 *     AWS_ACCESS_KEY_ID=AKIASIMULATED AWS_SECRET_ACCESS_KEY=simulated AWS_REGION=eu-west-1 node satellite/dist/main.js
 *
 * The function gets published versions (`--versions 1,2`) and an alias (`--alias live`) on the
 * first; the ALB a listener forwarding to the first of its target groups, one per version
 * (`--alb-versions v1,v2`) of `--service`. Both serve their traffic's metrics at
 * `/sentra-sim/v1/metrics` and their admin paths under `/sentra-sim/v1/` (docs/adapters.md).
 * Flags win over `SENTRA_AWS_SIM_*` variables. Stops on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { parseConfig } from "@sentra/common";
import { z } from "zod";
import { SIM_AWS_DEFAULT_REGION } from "./aws-sim-controls.js";
import { SimulatedElbv2 } from "./simulated-elbv2.js";
import { SimulatedLambda } from "./simulated-lambda.js";

const list = z
  .string()
  .transform((value) => value.split(",").map((item) => item.trim()))
  .pipe(z.array(z.string().min(1)).min(2));

const schema = z.object({
  SENTRA_AWS_SIM_REGION: z.string().min(1).default(SIM_AWS_DEFAULT_REGION),
  SENTRA_AWS_SIM_FUNCTION: z.string().min(1).default("checkout"),
  SENTRA_AWS_SIM_VERSIONS: list.default(["1", "2"]),
  SENTRA_AWS_SIM_ALIAS: z.string().min(1).default("live"),
  SENTRA_AWS_SIM_SERVICE: z.string().min(1).default("checkout"),
  SENTRA_AWS_SIM_ALB_VERSIONS: list.default(["v1", "v2"]),
  /** Requests per second through the alias and through the listener. */
  SENTRA_AWS_SIM_RPS: z.coerce.number().min(0).max(10_000).default(50),
});

const { values } = parseArgs({
  options: {
    region: { type: "string" },
    function: { type: "string" },
    versions: { type: "string" },
    alias: { type: "string" },
    service: { type: "string" },
    "alb-versions": { type: "string" },
    rps: { type: "string" },
  },
});

const config = parseConfig("simulated AWS endpoints", schema, {
  ...process.env,
  ...Object.fromEntries(
    Object.entries({
      SENTRA_AWS_SIM_REGION: values.region,
      SENTRA_AWS_SIM_FUNCTION: values.function,
      SENTRA_AWS_SIM_VERSIONS: values.versions,
      SENTRA_AWS_SIM_ALIAS: values.alias,
      SENTRA_AWS_SIM_SERVICE: values.service,
      SENTRA_AWS_SIM_ALB_VERSIONS: values["alb-versions"],
      SENTRA_AWS_SIM_RPS: values.rps,
    }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  ),
});

const lambda = new SimulatedLambda({
  region: config.SENTRA_AWS_SIM_REGION,
  requestsPerSecond: config.SENTRA_AWS_SIM_RPS,
});
const elbv2 = new SimulatedElbv2({
  region: config.SENTRA_AWS_SIM_REGION,
  requestsPerSecond: config.SENTRA_AWS_SIM_RPS,
});
const [firstVersion = "1"] = config.SENTRA_AWS_SIM_VERSIONS;
lambda.addFunction({
  name: config.SENTRA_AWS_SIM_FUNCTION,
  versions: config.SENTRA_AWS_SIM_VERSIONS,
  aliases: [{ name: config.SENTRA_AWS_SIM_ALIAS, functionVersion: firstVersion }],
});
const targetGroups = Object.fromEntries(
  config.SENTRA_AWS_SIM_ALB_VERSIONS.map((version) => [
    version,
    elbv2.addTargetGroup({
      name: `${config.SENTRA_AWS_SIM_SERVICE}-${version}`.replace(/[^a-zA-Z0-9-]/g, "-").slice(0, 32),
      service: config.SENTRA_AWS_SIM_SERVICE,
      version,
    }),
  ]),
);
const listenerArn = elbv2.addListener({
  loadBalancer: config.SENTRA_AWS_SIM_SERVICE.replace(/[^a-zA-Z0-9-]/g, "-").slice(0, 32),
  targetGroupArn: Object.values(targetGroups)[0] ?? "",
});
const [lambdaUrl, elbv2Url] = await Promise.all([lambda.start(), elbv2.start()]);
process.stdout.write(
  `${JSON.stringify({
    lambdaUrl,
    elbv2Url,
    region: config.SENTRA_AWS_SIM_REGION,
    function: config.SENTRA_AWS_SIM_FUNCTION,
    alias: config.SENTRA_AWS_SIM_ALIAS,
    listenerArn,
    targetGroups,
    metrics: [lambda.metricsUrl, elbv2.metricsUrl],
  })}\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void Promise.all([lambda.close(), elbv2.close()]).then(() => process.exit(0));
  });
}
