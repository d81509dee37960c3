import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@sentra/testkit";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * No helm binary is available here (nor in Debian's packages), so the charts cannot be rendered in
 * CI. What can drift silently is checked instead: values a template reads that values.yaml does not
 * define (a typo renders as an empty string), and environment variables a template sets that the
 * component no longer reads (a renamed setting is ignored, so e.g. TLS would silently not apply).
 */
const CHARTS_DIR = join(REPO_ROOT, "deploy", "helm");
const COMPONENT_OF_CHART: Record<string, string> = {
  "sentra-coordinator": "coordinator",
  "sentra-satellite": "satellite",
};

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
}

function hasPath(values: unknown, path: readonly string[]): boolean {
  let node = values;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

const charts = readdirSync(CHARTS_DIR);

describe.each(charts)("helm chart %s", (chart) => {
  const chartDir = join(CHARTS_DIR, chart);
  const templates = filesUnder(join(chartDir, "templates"), "")
    .filter((path) => /\.(yaml|tpl|txt)$/.test(path))
    .map((path) => ({ path, text: readFileSync(path, "utf8") }));

  it("has a v2 Chart.yaml named after its folder, with semver versions", () => {
    const manifest = parse(readFileSync(join(chartDir, "Chart.yaml"), "utf8")) as Record<string, unknown>;
    expect(manifest.apiVersion).toBe("v2");
    expect(manifest.name).toBe(chart);
    expect(String(manifest.version)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(String(manifest.appVersion)).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("defines in values.yaml every value its templates read", () => {
    const values = parse(readFileSync(join(chartDir, "values.yaml"), "utf8")) as unknown;
    const missing: string[] = [];
    for (const { path, text } of templates) {
      for (const match of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        const keys = (match[1] ?? "").slice(1).split(".");
        if (!hasPath(values, keys)) missing.push(`${path.slice(chartDir.length + 1)}: .Values.${keys.join(".")}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("sets only environment variables its component reads", () => {
    const component = COMPONENT_OF_CHART[chart];
    expect(component, `no component known for chart ${chart}`).toBeDefined();
    // Settings shared by both components (TLS, NATS credentials) are parsed in common.
    const compiled = [component ?? "", "common"]
      .flatMap((folder) => filesUnder(join(REPO_ROOT, folder, "dist"), ".js"))
      .map((path) => readFileSync(path, "utf8"))
      .join("\n");
    const names = new Set<string>();
    for (const { text } of templates) {
      for (const match of text.matchAll(/name:\s*([A-Z][A-Z0-9_]+)\b/g)) names.add(match[1] ?? "");
    }
    expect(names.size).toBeGreaterThan(5);
    const unknown = [...names].filter((name) => !compiled.includes(`"${name}"`) && !compiled.includes(`${name}:`));
    expect(unknown).toEqual([]);
  });
});
