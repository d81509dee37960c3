import "reflect-metadata";
import type { NatsConnection } from "@nats-io/transport-node";
import { HttpException } from "@nestjs/common";
import type { Redis } from "ioredis";
import type { Pool } from "mysql2/promise";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { OpsController } from "./ops.controller.js";

/** The controller over dependencies that are all up, or all down. */
function controllerWith(up: boolean): OpsController {
  const down = () => Promise.reject(new Error("connect ECONNREFUSED"));
  const nats = { isClosed: () => !up } as unknown as NatsConnection;
  const redis = { ping: up ? () => Promise.resolve("PONG") : down } as unknown as Redis;
  const mysql = { query: up ? () => Promise.resolve([[{ 1: 1 }]]) : down } as unknown as Pool;
  return new OpsController(new Registry(), nats, redis, mysql);
}

describe("the coordinator's probes", () => {
  it("reports readiness per dependency on /healthz", async () => {
    expect(await controllerWith(true).healthz()).toEqual({ status: "ok", nats: "ok", redis: "ok", mysql: "ok" });
    const failure = await controllerWith(false)
      .healthz()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(HttpException);
    expect((failure as HttpException).getStatus()).toBe(503);
    expect((failure as HttpException).getResponse()).toMatchObject({
      status: "unhealthy",
      checks: {
        nats: "closed",
        redis: expect.stringMatching(/ECONNREFUSED/),
        mysql: expect.stringMatching(/ECONNREFUSED/),
      },
    });
  });

  it("stays live on /livez while every dependency is down: a restart would not bring them back", () => {
    expect(controllerWith(false).livez()).toEqual({ status: "ok" });
  });
});
