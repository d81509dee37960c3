import { SentraError } from "@sentra/common";
import { z } from "zod";
import { BYTES_PER_GIB } from "./cost-model.js";
import type { InstanceSpec } from "./instance-catalog.js";
import type { WorkloadCostInput } from "./workload-cost-input.js";

const name = z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "lower-case letters, digits and '-'");

const workloadSchema = z.strictObject({
  /** `namespace/name`. */
  id: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "write namespace/name"),
  cloud: name.default("aws"),
  region: name,
  replicas: z.number().int().positive(),
  cpuMillicores: z.number().nonnegative(),
  /** GiB per replica. */
  memoryGib: z.number().nonnegative(),
  stateGb: z.number().nonnegative().optional(),
  instanceType: z.string().min(1).optional(),
  pinned: z.boolean().optional(),
  allowedRegions: z.array(z.string().min(1)).min(1).optional(),
  allowedClouds: z.array(name).min(1).optional(),
});

const estateSchema = z.strictObject({
  description: z.string().optional(),
  workloads: z.array(workloadSchema).min(1),
  instanceTypes: z
    .record(
      z.string(),
      z.strictObject({ vcpus: z.number().positive(), memoryGib: z.number().positive(), source: z.string() }),
    )
    .optional(),
});

/** The estate a backtest replays prices for (JSON: see {@link DEFAULT_BACKTEST_ESTATE}). */
export type BacktestEstate = z.input<typeof estateSchema>;

/** A parsed estate: workloads as the finder sees them at the start, plus extra instance sizes. */
export interface ParsedBacktestEstate {
  readonly description: string;
  readonly workloads: readonly WorkloadCostInput[];
  readonly instanceTypes: Readonly<Record<string, InstanceSpec>>;
}

/** The six-region AWS GPU spot history the built-in estate is priced by, relative to the shared data folder. */
export const AWS_GPU_HISTORY = "spot/aws-gpu-6-regions-2019-12_2020-03.csv";

/**
 * The built-in estate: GPU workloads on the six AWS regions of the shared GPU price history. GPU
 * pods request a whole instance (its vCPUs and memory), so each replica's share is 1 and the
 * instance type is fixed by `instanceType`.
 */
export const DEFAULT_BACKTEST_ESTATE: BacktestEstate = {
  description: "6 GPU workloads (18 instances) starting in us-east-1, us-east-2, us-west-2, eu-west-1, eu-west-2",
  workloads: [
    {
      id: "ml/trainer-v100",
      region: "us-east-1",
      replicas: 4,
      cpuMillicores: 8000,
      memoryGib: 61,
      stateGb: 200,
      instanceType: "p3.2xlarge",
    },
    {
      id: "ml/trainer-4xv100",
      region: "us-west-2",
      replicas: 1,
      cpuMillicores: 32000,
      memoryGib: 244,
      stateGb: 500,
      instanceType: "p3.8xlarge",
    },
    {
      id: "ml/inference-k80",
      region: "us-east-2",
      replicas: 6,
      cpuMillicores: 4000,
      memoryGib: 61,
      stateGb: 20,
      instanceType: "p2.xlarge",
    },
    {
      id: "render/batch-k80",
      region: "eu-west-1",
      replicas: 2,
      cpuMillicores: 32000,
      memoryGib: 488,
      stateGb: 100,
      instanceType: "p2.8xlarge",
      allowedRegions: ["eu-west-1", "eu-west-2", "eu-central-1"],
    },
    {
      id: "ml/eu-finetune",
      region: "eu-west-2",
      replicas: 4,
      cpuMillicores: 8000,
      memoryGib: 61,
      stateGb: 100,
      instanceType: "p3.2xlarge",
      allowedRegions: ["eu-west-1", "eu-west-2", "eu-central-1"],
    },
    {
      id: "ml/notebook",
      region: "us-east-1",
      replicas: 1,
      cpuMillicores: 8000,
      memoryGib: 61,
      stateGb: 50,
      instanceType: "p3.2xlarge",
      pinned: true,
    },
  ],
};

/** Validates an estate description; throws INVALID_ARGUMENT naming the bad field. */
export function parseBacktestEstate(input: unknown): ParsedBacktestEstate {
  const parsed = estateSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join(".") ?? "";
    throw new SentraError(
      "INVALID_ARGUMENT",
      `estate${path === "" ? "" : `.${path}`}: ${issue?.message ?? "invalid"}`,
      {
        field: path,
        details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
      },
    );
  }
  const estate = parsed.data;
  const ids = new Set<string>();
  const workloads = estate.workloads.map((w): WorkloadCostInput => {
    if (ids.has(w.id)) throw SentraError.invalidArgument("estate.workloads", `duplicate id ${w.id}`);
    ids.add(w.id);
    const [namespace = "", workloadName = ""] = w.id.split("/");
    return {
      id: w.id,
      satelliteId: `sim-${w.cloud}-${w.region}`,
      cluster: w.region,
      namespace,
      name: workloadName,
      cloud: w.cloud,
      region: w.region,
      replicas: w.replicas,
      cpuMillicores: w.cpuMillicores,
      memoryBytes: Math.round(w.memoryGib * BYTES_PER_GIB),
      ...(w.stateGb === undefined ? {} : { stateGb: w.stateGb }),
      ...(w.instanceType === undefined ? {} : { instanceType: w.instanceType }),
      ...(w.pinned === undefined ? {} : { pinned: w.pinned }),
      ...(w.allowedRegions === undefined ? {} : { allowedRegions: w.allowedRegions }),
      ...(w.allowedClouds === undefined ? {} : { allowedClouds: w.allowedClouds }),
    };
  });
  return {
    description: estate.description ?? `${workloads.length} workloads`,
    workloads,
    instanceTypes: estate.instanceTypes ?? {},
  };
}
