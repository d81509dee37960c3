/** The shape of one instance type: what one instance gives a workload. */
export interface InstanceType {
  cloud: string;
  /** Provider name, e.g. "m5.large", "n2-standard-4", "Standard_D2s_v5". */
  name: string;
  /** Pricing family (see {@link instanceFamily}), e.g. "m5", "n2", "D". */
  family: string;
  vcpus: number;
  memoryGib: number;
}

/**
 * Shapes of the instance types Sentra's demo and tests use — the providers' published shapes:
 * AWS from https://aws.amazon.com/ec2/instance-types/ (m5, m5a, c5, r5, t3, p2, p3 tables),
 * GCP from https://cloud.google.com/compute/docs/general-purpose-machines (N2, E2 machine types),
 * Azure from https://learn.microsoft.com/azure/virtual-machines/dv5-dsv5-series (Dsv5 sizes).
 * The shared data has no shape column; `instance-types.test.ts` checks these shapes against the
 * on-demand prices in shared/data (which scale with vCPUs and memory within a family).
 */
export const INSTANCE_TYPES: readonly InstanceType[] = Object.freeze([
  shape("aws", "m5.large", 2, 8),
  shape("aws", "m5.xlarge", 4, 16),
  shape("aws", "m5.2xlarge", 8, 32),
  shape("aws", "m5a.large", 2, 8),
  shape("aws", "c5.large", 2, 4),
  shape("aws", "c5.xlarge", 4, 8),
  shape("aws", "c5.2xlarge", 8, 16),
  shape("aws", "r5.large", 2, 16),
  shape("aws", "r5.xlarge", 4, 32),
  shape("aws", "t3.medium", 2, 4),
  shape("aws", "t3.large", 2, 8),
  shape("aws", "p2.xlarge", 4, 61),
  shape("aws", "p3.2xlarge", 8, 61),
  shape("gcp", "n2-standard-2", 2, 8),
  shape("gcp", "n2-standard-4", 4, 16),
  shape("gcp", "n2-standard-8", 8, 32),
  shape("gcp", "n2-highcpu-4", 4, 4),
  shape("gcp", "e2-standard-2", 2, 8),
  shape("azure", "Standard_D2s_v5", 2, 8),
  shape("azure", "Standard_D4s_v5", 4, 16),
]);

const BY_KEY = new Map(INSTANCE_TYPES.map((type) => [`${type.cloud}/${type.name}`, type]));

/** The shape of `name` on `cloud`, or undefined when Sentra does not know that type. */
export function findInstanceType(cloud: string, name: string): InstanceType | undefined {
  return BY_KEY.get(`${cloud}/${name}`);
}

/** Every known instance type of one cloud, in table order. */
export function instanceTypesOf(cloud: string): InstanceType[] {
  return INSTANCE_TYPES.filter((type) => type.cloud === cloud);
}

/**
 * The pricing family of an instance type, the unit the price model is calibrated per: AWS the part
 * before the dot ("m5a.large" → "m5a"), GCP the part before the first dash ("n2-highcpu-4" → "n2"),
 * Azure the letters of the size ("Standard_NC6s_v3" → "NC", "Standard_D2s_v5" → "D").
 */
export function instanceFamily(cloud: string, name: string): string {
  switch (cloud) {
    case "aws":
      return name.split(".")[0] ?? name;
    case "gcp":
      return name.split("-")[0] ?? name;
    case "azure":
      return /^Standard_([A-Z]+)/.exec(name)?.[1] ?? name;
    default:
      return name;
  }
}

function shape(cloud: string, name: string, vcpus: number, memoryGib: number): InstanceType {
  return Object.freeze({ cloud, name, family: instanceFamily(cloud, name), vcpus, memoryGib });
}
