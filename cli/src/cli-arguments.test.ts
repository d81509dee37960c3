import { spawnSync } from "node:child_process";
import { create } from "@bufbuild/protobuf";
import { SentraError } from "@sentra/common";
import { GetRolloutResponseSchema, RolloutPhase } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { bashCompletionScript } from "./completion/shell-completion.js";
import { parseDuration } from "./duration-option.js";
import { ExitCode, exitCodeOf } from "./exit-codes.js";
import { formatTable, messageToJson, writeMessage } from "./output/output-format.js";
import { createProgram } from "./program.js";
import { parseWaveTarget } from "./rollout/wave-target-argument.js";
import { parseWorkloadArgument } from "./workload-argument.js";

function invalidField(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    const failure = SentraError.from(error);
    expect(failure.code).toBe("INVALID_ARGUMENT");
    return failure.field;
  }
  throw new Error("expected INVALID_ARGUMENT");
}

describe("CLI arguments", () => {
  it("reads a workload as satellite/namespace/name or satellite/cluster/namespace/name, and names the argument when neither", () => {
    expect(parseWorkloadArgument("aws-us-east-1/default/checkout-api")).toEqual({
      satelliteId: "aws-us-east-1",
      cluster: "",
      namespace: "default",
      name: "checkout-api",
    });
    expect(parseWorkloadArgument("sat/blue/shop/cart")).toEqual({
      satelliteId: "sat",
      cluster: "blue",
      namespace: "shop",
      name: "cart",
    });
    for (const bad of ["sat/shop", "sat//cart", "a/b/c/d/e", ""]) {
      expect(invalidField(() => parseWorkloadArgument(bad))).toBe("<workload>");
    }
  });

  it("reads a wave as a satellite id or key=value pairs, and refuses unknown keys, empty values and no target", () => {
    expect(parseWaveTarget("sat-eu-1", 0)).toEqual({ satelliteId: "sat-eu-1", region: "", cloud: "", cluster: "" });
    expect(parseWaveTarget("region=eu-west-1,cloud=aws,cluster=blue", 1)).toEqual({
      satelliteId: "",
      region: "eu-west-1",
      cloud: "aws",
      cluster: "blue",
    });
    expect(invalidField(() => parseWaveTarget("zone=a", 2))).toBe("--wave #3");
    expect(invalidField(() => parseWaveTarget("region=", 0))).toBe("--wave #1");
    expect(invalidField(() => parseWaveTarget("cloud=aws", 0))).toBe("--wave #1");
    expect(invalidField(() => parseWaveTarget("a,b", 0))).toBe("--wave #1");
  });

  it("reads durations as kubectl wait does", () => {
    expect(parseDuration("90s", "--timeout")).toBe(90_000);
    expect(parseDuration("1h30m", "--timeout")).toBe(5_400_000);
    expect(parseDuration("250ms", "--timeout")).toBe(250);
    expect(parseDuration("12", "--timeout")).toBe(12_000);
    for (const bad of ["", "5x", "m5", "5m junk", "0s"])
      expect(invalidField(() => parseDuration(bad, "--timeout"))).toBe("--timeout");
  });

  it("maps coordinator error codes to distinct exit codes", () => {
    expect(exitCodeOf(new SentraError("INVALID_ARGUMENT", "x"))).toBe(ExitCode.USAGE);
    expect(exitCodeOf(new SentraError("PERMISSION_DENIED", "x"))).toBe(ExitCode.NOT_AUTHORIZED);
    expect(exitCodeOf(new SentraError("UNAUTHENTICATED", "x"))).toBe(ExitCode.NOT_AUTHORIZED);
    expect(exitCodeOf(new SentraError("NOT_FOUND", "x"))).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeOf(new SentraError("UNAVAILABLE", "x"))).toBe(ExitCode.UNAVAILABLE);
    expect(exitCodeOf(new SentraError("FAILED_PRECONDITION", "x"))).toBe(ExitCode.REFUSED);
    expect(exitCodeOf(new SentraError("INTERNAL", "x"))).toBe(ExitCode.FAILED);
    expect(new Set(Object.values(ExitCode)).size).toBe(Object.keys(ExitCode).length);
  });
});

describe("CLI output", () => {
  const response = create(GetRolloutResponseSchema, {
    rollout: { id: "r-1", service: "checkout", phase: RolloutPhase.ROLLED_BACK, waves: [{ index: 0 }] },
  });

  it("writes the protobuf JSON mapping, enum names and implicit zeros included, the same as JSON and YAML", () => {
    const chunks: string[] = [];
    const out = { write: (chunk: string) => chunks.push(chunk) } as unknown as NodeJS.WritableStream;
    writeMessage("json", GetRolloutResponseSchema, response, () => "unused", out);
    writeMessage("yaml", GetRolloutResponseSchema, response, () => "unused", out);
    const [json = "", yaml = ""] = chunks;
    const document = JSON.parse(json);
    expect(document.rollout).toMatchObject({ id: "r-1", phase: "ROLLOUT_PHASE_ROLLED_BACK", currentWave: 0 });
    expect(document.rollout.waves[0].status).toBe("ROLLOUT_WAVE_STATUS_UNSPECIFIED");
    expect(parse(yaml)).toEqual(document);
    expect(document).toEqual(messageToJson(GetRolloutResponseSchema, response));
  });

  it("aligns table columns", () => {
    expect(formatTable({ headers: ["A", "LONG"], rows: [["wide-cell", "x"]] })).toBe(
      "A           LONG\nwide-cell   x\n",
    );
  });
});

describe("shell completion", () => {
  /** Runs the generated bash completion for a partly typed command line; returns the candidates. */
  function complete(words: string[]): string[] {
    const script = bashCompletionScript(createProgram());
    const run = spawnSync(
      "bash",
      [
        "-c",
        `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _sentra_completion; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: "utf8" },
    );
    expect(run.status, run.stderr).toBe(0);
    return run.stdout.split("\n").filter(Boolean);
  }

  it("completes subcommands and each command's own flags from the real command tree", () => {
    expect(complete(["sentra", "ro"])).toEqual(["rollout"]);
    expect(complete(["sentra", "rollout", ""])).toEqual(
      expect.arrayContaining(["start", "get", "list", "watch", "promote", "abort", "history"]),
    );
    expect(complete(["sentra", "-o", "json", "rollout", "start", "--wa"]).sort()).toEqual(["--wait", "--wave"]);
    expect(complete(["sentra", "migrate", "x", "--"])).toEqual(
      expect.arrayContaining(["--wait", "--timeout", "--output"]),
    );
    expect(complete(["sentra", "satellites", "--wa"])).toEqual([]);
  });
});
