import { create } from "@bufbuild/protobuf";
import {
  credentials,
  Client as GrpcClient,
  status as grpcStatus,
  Server,
  ServerCredentials,
  type ServiceError,
} from "@grpc/grpc-js";
import { SentraError } from "@sentra/common";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CoordinatorService } from "../gen/sentra/v1/coordinator_service_pb.js";
import { RegionSchema } from "../gen/sentra/v1/estate_pb.js";
import { SatelliteService } from "../gen/sentra/v1/satellite_service_pb.js";
import { withUnimplemented } from "./partial-implementation.js";
import { addHealth, addReflection } from "./reflection.js";
import { createServiceClient } from "./service-client.js";
import { addService, type CallContext } from "./service-implementation.js";
import { fromGrpcError } from "./status.js";

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) server.forceShutdown();
});

async function serve(setup: (server: Server) => void): Promise<string> {
  const server = new Server();
  servers.push(server);
  setup(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return `127.0.0.1:${port}`;
}

describe("protobuf-es ↔ grpc-js adapter", () => {
  it("round-trips typed unary calls, including nested messages and maps", async () => {
    const calls: string[] = [];
    const address = await serve((server) =>
      addService(
        server,
        SatelliteService,
        withUnimplemented(SatelliteService, {
          getSatelliteInfo: async () => ({
            satelliteId: "aws-us-east-1",
            region: create(RegionSchema, { cloud: "aws", name: "us-east-1", latitude: 38.1, longitude: -78.4 }),
            clusters: ["a", "b"],
            version: "1",
          }),
          listWorkloads: async (request) => ({
            workloads: [
              { ref: { namespace: request.namespace, name: "api" }, labels: { app: "api" }, memoryBytes: 512n },
            ],
          }),
        }),
        { onCallEnd: (method, code) => calls.push(`${method}:${code}`) },
      ),
    );
    const client = createServiceClient(SatelliteService, address, credentials.createInsecure());
    try {
      const info = await client.getSatelliteInfo({});
      expect(info.region?.latitude).toBeCloseTo(38.1);
      expect(info.clusters).toEqual(["a", "b"]);
      const { workloads } = await client.listWorkloads({ namespace: "shop" });
      expect(workloads[0]?.ref?.namespace).toBe("shop");
      expect(workloads[0]?.labels).toEqual({ app: "api" });
      expect(workloads[0]?.memoryBytes).toBe(512n);
      expect(calls).toEqual(["GetSatelliteInfo:OK", "ListWorkloads:OK"]);
    } finally {
      client.close();
    }
  });

  it("turns a SentraError into the matching gRPC status with field and details, and back", async () => {
    const address = await serve((server) =>
      addService(
        server,
        CoordinatorService,
        withUnimplemented(CoordinatorService, {
          listSatellites: async () => {
            throw new SentraError("FAILED_PRECONDITION", "margin is negative", { details: { marginUsd: -1.25 } });
          },
          listRegions: async () => {
            throw SentraError.invalidArgument("cloud", "must be aws, gcp or azure");
          },
          listWorkloads: async () => {
            throw new Error("boom");
          },
        }),
      ),
    );
    const client = createServiceClient(CoordinatorService, address, credentials.createInsecure());
    try {
      await expect(client.listSatellites({})).rejects.toMatchObject({
        code: "FAILED_PRECONDITION",
        message: "margin is negative",
        details: { marginUsd: -1.25 },
      });
      await expect(client.listRegions({ cloud: "x" })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        field: "cloud",
      });
      await expect(client.listWorkloads({})).rejects.toMatchObject({ code: "INTERNAL", message: "boom" });
    } finally {
      client.close();
    }
  });

  it("carries non-ASCII text in error details (the trailer is ASCII-only) without failing the call", async () => {
    const reason = "margin −2.33 USD: aws:us-east-2 → aws:us-east-1, naïve 😀";
    const address = await serve((server) =>
      addService(
        server,
        CoordinatorService,
        withUnimplemented(CoordinatorService, {
          listSatellites: async () => {
            throw new SentraError("FAILED_PRECONDITION", reason, { field: "café", details: { reason } });
          },
        }),
      ),
    );
    const client = createServiceClient(CoordinatorService, address, credentials.createInsecure());
    try {
      await expect(client.listSatellites({})).rejects.toMatchObject({
        code: "FAILED_PRECONDITION",
        message: reason,
        field: "café",
        details: { reason },
      });
    } finally {
      client.close();
    }
  });

  it("gives every unary call a deadline, so a hung handler cannot hang the caller", async () => {
    const address = await serve((server) =>
      addService(
        server,
        CoordinatorService,
        withUnimplemented(CoordinatorService, { listSatellites: () => new Promise(() => {}) }),
      ),
    );
    const client = createServiceClient(CoordinatorService, address, credentials.createInsecure(), {
      defaultTimeoutMs: 200,
    });
    try {
      const startedAt = Date.now();
      await expect(client.listSatellites({})).rejects.toMatchObject({ code: "DEADLINE_EXCEEDED" });
      expect(Date.now() - startedAt).toBeLessThan(2_000);
    } finally {
      client.close();
    }
  });

  it("sends the client's default metadata with every call, a call's own metadata winning per key", async () => {
    const seen: string[] = [];
    const address = await serve((server) =>
      addService(
        server,
        CoordinatorService,
        withUnimplemented(CoordinatorService, { listSatellites: async () => ({ satellites: [] }) }),
        {
          interceptors: [
            (context) => {
              const value = context.metadata.get("authorization")[0];
              if (typeof value !== "string") throw new SentraError("UNAUTHENTICATED", "no token");
              seen.push(value);
            },
          ],
        },
      ),
    );
    const bare = createServiceClient(CoordinatorService, address, credentials.createInsecure());
    const client = createServiceClient(CoordinatorService, address, credentials.createInsecure(), {
      metadata: { authorization: "Bearer default" },
    });
    try {
      await expect(bare.listSatellites({})).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
      await client.listSatellites({});
      await client.listSatellites({}, { metadata: { authorization: "Bearer per-call" } });
      expect(seen).toEqual(["Bearer default", "Bearer per-call"]);
    } finally {
      bare.close();
      client.close();
    }
  });

  it("answers a stream whose handler fails with the handler's error status", async () => {
    const address = await serve((server) =>
      addService(
        server,
        CoordinatorService,
        withUnimplemented(CoordinatorService, {
          // biome-ignore lint/correctness/useYield: fails before its first message, on purpose
          async *watchMigrations() {
            throw SentraError.invalidArgument("id", "no such migration");
          },
        }),
      ),
    );
    const client = createServiceClient(CoordinatorService, address, credentials.createInsecure());
    try {
      const consumed = (async () => {
        for await (const _message of client.watchMigrations({ id: "m-1" })) {
          // nothing arrives
        }
      })();
      await expect(consumed).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "id" });
    } finally {
      client.close();
    }
  });

  it("ends a stream from the server with the error its client then gets (a revoked token)", async () => {
    const open: CallContext[] = [];
    const ends: string[] = [];
    const address = await serve((server) =>
      addService(
        server,
        CoordinatorService,
        withUnimplemented(CoordinatorService, {
          async *watchRollouts(_request, context) {
            yield { snapshotComplete: true };
            // Waits for changes until the call ends, as the real watches do.
            await new Promise((resolve) => context.signal.addEventListener("abort", resolve, { once: true }));
          },
        }),
        {
          interceptors: [(context) => void open.push(context)],
          onCallEnd: (method, code) => ends.push(`${method}:${code}`),
        },
      ),
    );
    const client = createServiceClient(CoordinatorService, address, credentials.createInsecure());
    try {
      const received: unknown[] = [];
      const consumed = (async () => {
        for await (const message of client.watchRollouts({})) {
          received.push(message);
          expect(open[0]?.streaming).toBe(true);
          open[0]?.end(new SentraError("UNAUTHENTICATED", "the token was revoked"));
        }
      })();
      await expect(consumed).rejects.toMatchObject({ code: "UNAUTHENTICATED", message: "the token was revoked" });
      expect(received).toHaveLength(1);
      await vi.waitFor(() => expect(ends).toEqual(["WatchRollouts:UNAUTHENTICATED"]));
    } finally {
      client.close();
    }
  });

  it("ends a stream whose client stopped reading and then cancelled, though the server was waiting for it to drain", async () => {
    const ends: string[] = [];
    let yielded = 0;
    const address = await serve((server) =>
      addService(
        server,
        CoordinatorService,
        withUnimplemented(CoordinatorService, {
          async *watchRollouts(_request, context) {
            // As fast as the transport takes them: a slow client fills the buffers, and write() asks to wait.
            while (!context.signal.aborted) {
              yielded++;
              yield { rollout: { id: `r${yielded}`, service: "x".repeat(64_000) } };
            }
          },
        }),
        { onCallEnd: (method, code) => ends.push(`${method}:${code}`) },
      ),
    );
    const client = createServiceClient(CoordinatorService, address, credentials.createInsecure());
    try {
      const abort = new AbortController();
      const iterator = client.watchRollouts({}, { signal: abort.signal })[Symbol.asyncIterator]();
      await iterator.next();
      // Stop reading until the server is blocked on backpressure, then cancel.
      await vi.waitFor(() => expect(yielded).toBeGreaterThan(20), { timeout: 5_000 });
      const blockedAt = yielded;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(yielded).toBe(blockedAt);
      abort.abort();
      await iterator.next().catch(() => undefined);
      await vi.waitFor(() => expect(ends).toEqual(["WatchRollouts:CANCELLED"]), { timeout: 5_000 });
    } finally {
      client.close();
    }
  });

  it("answers grpc.health.v1 and server reflection for generic tools", async () => {
    const address = await serve((server) => {
      addService(server, CoordinatorService, withUnimplemented(CoordinatorService, {}));
      addReflection(server, [CoordinatorService]);
      addHealth(server, [CoordinatorService]);
    });
    const grpc = await import("@grpc/grpc-js");
    const protoLoader = await import("@grpc/proto-loader");
    const { createRequire } = await import("node:module");
    const require = createRequire(import.meta.url);
    const healthProto = require.resolve("grpc-health-check/proto/health/v1/health.proto");
    const reflectionProto = require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");
    const loaded = grpc.loadPackageDefinition(
      protoLoader.loadSync([healthProto, reflectionProto], { enums: String }),
    ) as unknown as {
      grpc: {
        health: {
          v1: {
            Health: new (
              address: string,
              creds: unknown,
            ) => Record<string, (...args: unknown[]) => unknown> & { close(): void };
          };
        };
        reflection: {
          v1: {
            ServerReflection: new (
              address: string,
              creds: unknown,
            ) => Record<string, (...args: unknown[]) => unknown> & { close(): void };
          };
        };
      };
    };
    const health = new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
    const status = await new Promise<{ status: string }>((resolve, reject) =>
      health.Check?.(
        { service: "sentra.v1.CoordinatorService" },
        (error: Error | null, response: { status: string }) => (error ? reject(error) : resolve(response)),
      ),
    );
    expect(status.status).toBe("SERVING");
    health.close();

    const reflection = new loaded.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
    const stream = reflection.ServerReflectionInfo?.() as NodeJS.ReadWriteStream & { end(): void };
    const services = await new Promise<string[]>((resolve, reject) => {
      stream.on("data", (response: { listServicesResponse?: { service: Array<{ name: string }> } }) => {
        resolve(response.listServicesResponse?.service.map((service) => service.name) ?? []);
        stream.end();
      });
      stream.on("error", reject);
      stream.write({ listServices: "*" } as never);
    });
    expect(services).toContain("sentra.v1.CoordinatorService");
    reflection.close();
  });

  it("answers INVALID_ARGUMENT, not INTERNAL, to bytes that are not the request message", async () => {
    const ends: string[] = [];
    const address = await serve((server) =>
      addService(
        server,
        SatelliteService,
        withUnimplemented(SatelliteService, {
          listWorkloads: async () => ({ workloads: [] }),
        }),
        { onCallEnd: (method, code) => ends.push(`${method}:${code}`) },
      ),
    );
    // A generic client sends raw bytes: field 1 (namespace, a string) with a length past the end.
    const raw = new GrpcClient(address, credentials.createInsecure());
    try {
      const status = await new Promise<{ code: number; details: string; field: string | undefined }>((resolve) =>
        raw.makeUnaryRequest(
          "/sentra.v1.SatelliteService/ListWorkloads",
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          Buffer.from([0x0a, 0x7f, 0x61]),
          (error) => {
            const serviceError = error as ServiceError;
            resolve({
              code: serviceError.code,
              details: serviceError.details,
              field: fromGrpcError(serviceError).field,
            });
          },
        ),
      );
      expect(status.code).toBe(grpcStatus.INVALID_ARGUMENT);
      expect(status.details).toMatch(
        /^\(request\): not a valid sentra\.v1\.SatelliteServiceListWorkloadsRequest message/,
      );
      expect(status.field).toBe("(request)");
      expect(ends).toEqual(["ListWorkloads:INVALID_ARGUMENT"]);
    } finally {
      raw.close();
    }
  });
});
