/** vCPUs and memory of one instance type (spot price files carry only the price). */
export interface InstanceSpec {
  readonly vcpus: number;
  /** GiB. */
  readonly memoryGib: number;
  /** Where the figures come from. */
  readonly source: string;
}

const AWS_P2 = "https://aws.amazon.com/ec2/instance-types/p2/ (P2 size table: vCPUs, memory GiB)";
const AWS_P3 = "https://aws.amazon.com/ec2/instance-types/p3/ (P3 size table: vCPUs, memory GiB)";

/**
 * Sizes of the GPU types in `shared/data/spot/aws-gpu-6-regions-2019-12_2020-03.csv`, as AWS
 * publishes them. A backtest estate may add its own (`instanceTypes` in the estate JSON).
 */
export const DEFAULT_INSTANCE_CATALOG: Readonly<Record<string, InstanceSpec>> = {
  "p2.xlarge": { vcpus: 4, memoryGib: 61, source: AWS_P2 },
  "p2.8xlarge": { vcpus: 32, memoryGib: 488, source: AWS_P2 },
  "p2.16xlarge": { vcpus: 64, memoryGib: 732, source: AWS_P2 },
  "p3.2xlarge": { vcpus: 8, memoryGib: 61, source: AWS_P3 },
  "p3.8xlarge": { vcpus: 32, memoryGib: 244, source: AWS_P3 },
  "p3.16xlarge": { vcpus: 64, memoryGib: 488, source: AWS_P3 },
};
