import { describe, expect, it } from "vitest";
import { BYTES_PER_GIB, hourlyCostUsd, instanceShare, selectInstance } from "./cost-model.js";
import type { InstancePrice } from "./region-market.js";

const price = (instanceType: string, usdPerHour: number, vcpus: number, memoryGib: number): InstancePrice => ({
  instanceType,
  usdPerHour,
  vcpus,
  memoryGib,
  observedAtMs: 0,
});

describe("cost model", () => {
  it("takes the larger of the CPU and memory ratios as the share of an instance", () => {
    // 500 m of 2 vCPU = 0.25; 6 GiB of 8 GiB = 0.75 → memory decides.
    expect(instanceShare({ cpuMillicores: 500, memoryBytes: 6 * BYTES_PER_GIB }, { vcpus: 2, memoryGib: 8 })).toBe(
      0.75,
    );
    // 1500 m of 2 vCPU = 0.75; 1 GiB of 8 GiB = 0.125 → CPU decides.
    expect(instanceShare({ cpuMillicores: 1500, memoryBytes: BYTES_PER_GIB }, { vcpus: 2, memoryGib: 8 })).toBe(0.75);
  });

  it("picks the type with the lowest share × price among those one replica fits on", () => {
    const prices = [
      price("big", 0.4, 8, 32), // share max(1/8, 4/32) = 0.125 → 0.05 USD/h
      price("small", 0.1, 2, 4), // share max(1/2, 4/4) = 1 → 0.10 USD/h
      price("tiny", 0.01, 1, 2), // 4 GiB does not fit in 2 GiB
    ];
    const choice = selectInstance({ cpuMillicores: 1000, memoryBytes: 4 * BYTES_PER_GIB }, prices);
    expect(choice?.price.instanceType).toBe("big");
    expect(choice?.share).toBe(0.125);
    expect(choice?.usdPerReplicaHour).toBeCloseTo(0.05, 12);
    // 3 replicas × 0.125 × 0.4
    expect(hourlyCostUsd(3, choice as NonNullable<typeof choice>)).toBeCloseTo(0.15, 12);
  });

  it("uses only the declared instance type when the workload names one", () => {
    const prices = [price("cheap", 0.1, 8, 64), price("p3.2xlarge", 0.918, 8, 61)];
    const choice = selectInstance(
      { cpuMillicores: 8000, memoryBytes: 61 * BYTES_PER_GIB, instanceType: "p3.2xlarge" },
      prices,
    );
    expect(choice?.price.instanceType).toBe("p3.2xlarge");
    expect(choice?.share).toBe(1);
  });

  it("returns null when nothing fits", () => {
    expect(selectInstance({ cpuMillicores: 16000, memoryBytes: 0 }, [price("m", 0.1, 8, 32)])).toBeNull();
    expect(
      selectInstance({ cpuMillicores: 100, memoryBytes: 0, instanceType: "absent" }, [price("m", 0.1, 8, 32)]),
    ).toBeNull();
  });
});
