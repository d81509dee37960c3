import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createSeededRandom } from "../price/seeded-random.js";
import { PolicyError } from "./policy-error.js";
import { parseRolloutPolicy } from "./rollout-policy.js";

/** Seeded: SENTRA_FUZZ_SEED=<seed> replays a failing run. */
const SEED = Number(process.env.SENTRA_FUZZ_SEED ?? 20_261_123);
const MUTANTS = 800;

/** YAML that has hurt parsers: alias bombs, deep nesting, tags, huge numbers, odd scalars. */
const HOSTILE_POLICIES = [
  "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nsteps: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
  `steps: ${"[".repeat(2_000)}${"]".repeat(2_000)}\n`,
  "steps: !!js/function 'function () { process.exit(1) }'\n",
  "steps: [1e400, -1e400]\n",
  "steps: [.nan, .inf]\nintervalSeconds: .nan\n",
  "steps: [100]\nintervalSeconds: 0x10\nwarmupSeconds: 1_000\n",
  "<<: *undefined\n",
  "? [steps]\n: [100]\n",
  "steps: [50, 50]\nsteps: [100]\n",
  "gates:\n  - name: x\n    provider: prometheus\n    query: '{{window}}{{window}}{{nope}}'\n    threshold: 1e309\n",
  "\u0000\u0001\uffff",
  "%YAML 9.9\n---\nsteps: [100]\n",
  "---\nsteps: [100]\n---\nsteps: [100]\n",
  "steps: [100]\n".repeat(1_000),
];

describe(`rollout policy parser under hostile YAML (seed ${SEED})`, () => {
  it("answers every mutated or hostile policy with a policy or a PolicyError, never another exception", async () => {
    const doc = await readFile(new URL("../../../docs/release-guard.md", import.meta.url), "utf8");
    const example = /## Example policy\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
    expect(example.length).toBeGreaterThan(100);
    const random = createSeededRandom(SEED);
    const int = (n: number): number => Math.floor(random.uniform() * n);
    const tokens = [
      ":",
      "-",
      "[",
      "]",
      "{",
      "}",
      "&a",
      "*a",
      "!!str",
      "#",
      "'",
      '"',
      "\n",
      "  ",
      "\t",
      "0",
      "-1",
      "1e9",
      "null",
      "~",
    ];
    const mutate = (text: string): string => {
      let out = text;
      for (let edits = 1 + int(3); edits > 0; edits -= 1) {
        const at = int(out.length + 1);
        switch (int(5)) {
          case 0:
            out = out.slice(0, at) + out.slice(at + 1 + int(8));
            break;
          case 1:
            out = out.slice(0, at) + (tokens[int(tokens.length)] ?? "") + out.slice(at);
            break;
          case 2:
            out = out.slice(0, at) + String.fromCharCode(int(0x3000)) + out.slice(at + 1);
            break;
          case 3: {
            const lines = out.split("\n");
            const line = int(lines.length);
            lines.splice(int(lines.length), 0, lines[line] ?? "");
            out = lines.join("\n");
            break;
          }
          default: {
            const digits = /\d+(\.\d+)?/g;
            out = out.replace(digits, (match) => (random.uniform() < 0.2 ? String(-Number(match) * 1e6) : match));
          }
        }
      }
      return out;
    };

    let accepted = 0;
    const refusedBy = new Map<string, number>();
    for (const text of [...HOSTILE_POLICIES, ...Array.from({ length: MUTANTS }, () => mutate(example))]) {
      try {
        const policy = parseRolloutPolicy(text);
        accepted += 1;
        // Whatever got through is a policy the engine can run.
        expect(policy.steps.every((step) => Number.isInteger(step) && step > 0)).toBe(true);
        expect(policy.steps.reduce((sum, step) => sum + step, 0)).toBe(100);
        expect(policy.intervalSeconds).toBeGreaterThanOrEqual(2);
        expect(policy.intervalSeconds).toBeLessThanOrEqual(5);
      } catch (error) {
        if (!(error instanceof PolicyError))
          throw new Error(`seed ${SEED}: not a PolicyError for ${JSON.stringify(text.slice(0, 300))}`, {
            cause: error,
          });
        expect(error.code).toBe("INVALID_ARGUMENT");
        // Every problem points somewhere a person can find.
        expect(error.message).toMatch(/policy\.yaml:\d+:\d+: /);
        const path = error.problems[0]?.path ?? "?";
        refusedBy.set(path, (refusedBy.get(path) ?? 0) + 1);
      }
    }
    // The mutations hit both sides: some still valid, most refused.
    expect(accepted).toBeGreaterThan(0);
    expect([...refusedBy.values()].reduce((sum, count) => sum + count, 0)).toBeGreaterThan(MUTANTS / 2);
  });
});
