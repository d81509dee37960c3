import { SentraError } from "@sentra/common";
import type { RolloutWaveTarget } from "@sentra/proto";

type WaveTargetFields = Pick<RolloutWaveTarget, "satelliteId" | "region" | "cloud" | "cluster">;
const KEYS: Record<string, keyof WaveTargetFields> = {
  satellite: "satelliteId",
  region: "region",
  cloud: "cloud",
  cluster: "cluster",
};

/**
 * One `--wave`: a satellite id (`sat-eu-1`), or `key=value` pairs joined by commas
 * (`region=eu-west-1,cloud=aws`, `satellite=sat-eu-1,cluster=blue`).
 */
export function parseWaveTarget(value: string, position: number): WaveTargetFields {
  const field = `--wave #${position + 1}`;
  const target: WaveTargetFields = { satelliteId: "", region: "", cloud: "", cluster: "" };
  if (!value.includes("=")) {
    if (value.trim() === "" || value.includes(","))
      throw SentraError.invalidArgument(field, "is empty or not key=value pairs");
    return { ...target, satelliteId: value.trim() };
  }
  for (const pair of value.split(",")) {
    const [key = "", ...rest] = pair.split("=");
    const name = KEYS[key.trim()];
    const text = rest.join("=").trim();
    if (!name) {
      throw SentraError.invalidArgument(
        field,
        `unknown key ${JSON.stringify(key)}; use satellite, region, cloud or cluster`,
      );
    }
    if (text === "") throw SentraError.invalidArgument(field, `${key} has no value`);
    target[name] = text;
  }
  if (!target.satelliteId && !target.region)
    throw SentraError.invalidArgument(field, "names neither satellite nor region");
  return target;
}
