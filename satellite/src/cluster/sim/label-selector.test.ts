import { describe, expect, it } from "vitest";
import { matchesFieldSelector, parseFieldSelector } from "./field-selector.js";
import { matchesLabelSelector, parseLabelSelector } from "./label-selector.js";
import { StatusError } from "./status-error.js";

describe("label selectors", () => {
  const labels = { app: "checkout-api", "app.kubernetes.io/version": "2.14.1", tier: "web" };
  const matches = (selector: string) => matchesLabelSelector(parseLabelSelector(selector), labels);

  it("supports equality, inequality, existence and set requirements", () => {
    expect(matches("")).toBe(true);
    expect(matches("app=checkout-api,tier==web")).toBe(true);
    expect(matches("app=checkout-api,tier=db")).toBe(false);
    expect(matches("app.kubernetes.io/version=2.14.1")).toBe(true);
    expect(matches("tier!=db")).toBe(true);
    expect(matches("missing!=x")).toBe(true);
    expect(matches("tier,!missing")).toBe(true);
    expect(matches("!tier")).toBe(false);
    expect(matches("tier in (web, api),app notin (x)")).toBe(true);
    expect(matches("tier notin (web)")).toBe(false);
  });

  it("rejects malformed selectors with a 400", () => {
    expect(() => parseLabelSelector("a=(")).toThrow(StatusError);
    expect(() => parseLabelSelector("=x")).toThrow(StatusError);
  });
});

describe("field selectors", () => {
  it("compares dotted paths", () => {
    const object = { metadata: { name: "a", namespace: "shop" } };
    expect(matchesFieldSelector(parseFieldSelector("metadata.name=a,metadata.namespace!=default"), object)).toBe(true);
    expect(matchesFieldSelector(parseFieldSelector("metadata.name==b"), object)).toBe(false);
    expect(() => parseFieldSelector("metadata.name")).toThrow(StatusError);
  });
});
