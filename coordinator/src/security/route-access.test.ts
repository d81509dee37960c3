import "reflect-metadata";
import type { DynamicModule, Type } from "@nestjs/common";
import { RequestMethod } from "@nestjs/common";
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from "@nestjs/common/constants.js";
import { describe, expect, it } from "vitest";
import { AppModule, type CoordinatorInfrastructure } from "../app.module.js";
import { DEFAULT_ROUTE_ACCESS, ROUTE_ACCESS_METADATA, type RouteAccess } from "./route-access.js";

/** Every controller the application mounts, found by walking its modules. */
function controllersOf(root: DynamicModule): Type[] {
  const seen = new Set<unknown>();
  const controllers = new Set<Type>();
  const visit = (entry: Type | DynamicModule): void => {
    const module = "module" in entry ? entry.module : entry;
    if (seen.has(entry)) return;
    seen.add(entry);
    const dynamic = "module" in entry ? entry : undefined;
    for (const controller of [
      ...(dynamic?.controllers ?? []),
      ...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, module) as Type[] | undefined) ?? []),
    ]) {
      controllers.add(controller);
    }
    for (const imported of [
      ...(dynamic?.imports ?? []),
      ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, module) as Array<Type | DynamicModule> | undefined) ?? []),
    ]) {
      visit(imported as Type | DynamicModule);
    }
  };
  visit(root);
  return [...controllers];
}

/** `GET /api/v1/migrations/:id` → its declared access, or undefined when it declares none. */
function routes(): Map<string, RouteAccess | undefined> {
  const table = new Map<string, RouteAccess | undefined>();
  const app = AppModule.register({} as CoordinatorInfrastructure);
  for (const controller of controllersOf(app)) {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? "");
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = controller.prototype[name] as unknown;
      if (typeof handler !== "function") continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const path = String(Reflect.getMetadata(PATH_METADATA, handler) ?? "");
      const route = `/${[prefix, path].filter((part) => part && part !== "/").join("/")}`.replace(/\/+/g, "/");
      table.set(`${RequestMethod[method]} ${route}`, Reflect.getMetadata(ROUTE_ACCESS_METADATA, handler));
    }
  }
  return table;
}

describe("REST route access", () => {
  it("declares the access of every route explicitly (a route without it would need admin)", () => {
    const table = routes();
    expect(table.size).toBeGreaterThanOrEqual(12);
    expect([...table].filter(([, access]) => access === undefined).map(([route]) => route)).toEqual([]);
    expect(DEFAULT_ROUTE_ACCESS).toEqual({ role: "admin", mutating: true });
  });

  it("opens only probes and scrapers, lets viewers read and dry-run, and needs an operator to act", () => {
    const summary = Object.fromEntries(
      [...routes()].map(([route, access]) => [route, `${access?.role}${access?.mutating ? " mutating" : ""}`]),
    );
    expect(summary).toEqual({
      "GET /metrics": "public",
      "GET /livez": "public",
      "GET /healthz": "public",
      "POST /api/v1/migrations/plan": "viewer",
      "POST /api/v1/migrations": "operator mutating",
      "GET /api/v1/migrations/:id": "viewer",
      "GET /api/v1/migrations": "viewer",
      "GET /api/v1/opportunities": "viewer",
      "GET /api/v1/rollouts": "viewer",
      "GET /api/v1/rollouts/:id": "viewer",
      "GET /api/v1/rollouts/:id/history": "viewer",
      "POST /api/v1/rollouts/:id/promote": "operator mutating",
      "POST /api/v1/rollouts/:id/abort": "operator mutating",
    });
  });
});
