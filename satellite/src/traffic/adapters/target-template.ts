import { SentraError } from "@sentra/common";
import type { RolloutTarget } from "../../rollout/index.js";

/** The variables a target field may name: `{{service}}`, `{{version}}` (canary), `{{stableVersion}}`. */
export const TARGET_TEMPLATE_VARIABLES = ["service", "version", "stableVersion"] as const;

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Variables of `template` that are not {@link TARGET_TEMPLATE_VARIABLES} (for the policy's error). */
export function unknownTargetVariables(template: string): string[] {
  return [...template.matchAll(VARIABLE)]
    .map((match) => match[1] ?? "")
    .filter((name) => !(TARGET_TEMPLATE_VARIABLES as readonly string[]).includes(name));
}

/**
 * A target field with the rollout's names filled in, e.g. `web-{{version}}` → `web-v2`.
 * @throws SentraError FAILED_PRECONDITION when it names `{{stableVersion}}` and the rollout has none
 */
export function renderTargetTemplate(template: string, rollout: RolloutTarget): string {
  return template.replace(VARIABLE, (_whole, name: string) => {
    const value =
      name === "service"
        ? rollout.service
        : name === "version"
          ? rollout.version
          : name === "stableVersion"
            ? rollout.stableVersion
            : undefined;
    if (value === undefined) {
      throw new SentraError("FAILED_PRECONDITION", `rollout ${rollout.id} has no ${name} for {{${name}}}`);
    }
    return value;
  });
}
