import { describe, expect, it } from "vitest";
import { escapeLabelValue, renderQueryTemplate, unknownTemplateVariables } from "./query-template.js";

const values = { service: "checkout", version: "v2", namespace: "shop", windowSeconds: 30 };

describe("renderQueryTemplate", () => {
  it("renders service, version, namespace and window", () => {
    const template = 'rate(x{service="{{service}}",version="{{ version }}",ns="{{namespace}}"}[{{window}}])';
    expect(renderQueryTemplate(template, values)).toBe('rate(x{service="checkout",version="v2",ns="shop"}[30s])');
  });

  it("escapes label values so they cannot close the string literal", () => {
    const rendered = renderQueryTemplate('x{version="{{version}}"}', { ...values, version: 'v2"} or up{a="\\' });
    expect(rendered).toBe('x{version="v2\\"} or up{a=\\"\\\\"}');
    expect(escapeLabelValue("a\nb")).toBe("a\\nb");
  });

  it("refuses unknown placeholders instead of leaving them in the query", () => {
    expect(unknownTemplateVariables("{{service}} {{svc}} {{ window }} {{svc}}")).toEqual(["svc"]);
    expect(() => renderQueryTemplate('x{a="{{svc}}"}', values)).toThrow(/unknown template variable \{\{svc\}\}/);
  });

  it("needs a whole number of seconds for the window", () => {
    expect(() => renderQueryTemplate("[{{window}}]", { ...values, windowSeconds: 1.5 })).toThrow(/windowSeconds/);
  });
});
