import { Server, ServerCredentials } from "@grpc/grpc-js";
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import {
  addHealth,
  addReflection,
  addService,
  CoordinatorService,
  createRotatingServerCredentials,
} from "@sentra/proto";
import { API_TRANSPORT, COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { CoordinatorMetrics } from "../metrics/coordinator-metrics.js";
import type { ApiTransport } from "../security/api-transport.js";
import { GrpcSecurity } from "../security/security.module.js";
import { CoordinatorServiceHandlers } from "./coordinator-service.handlers.js";

/**
 * Serves CoordinatorService (bearer token per call) with reflection and grpc.health.v1 (port 50051
 * by default), over TLS whose certificate follows its files, or plaintext (docs/security.md).
 */
@Injectable()
export class CoordinatorGrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly server = new Server();
  private boundPort = 0;

  constructor(
    private readonly handlers: CoordinatorServiceHandlers,
    private readonly metrics: CoordinatorMetrics,
    private readonly security: GrpcSecurity,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(API_TRANSPORT) private readonly transport: ApiTransport,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Every CoordinatorService method is behind the token check; health and reflection stay open.
    const { interceptor, onCallEnd } = this.security.hooks;
    addService(this.server, CoordinatorService, this.handlers.implementation(), {
      interceptors: [interceptor],
      onCallEnd: (method, code, ms, context, request) => {
        this.metrics.grpcCalls.observe({ method, code }, ms / 1000);
        onCallEnd(method, code, ms, context, request);
      },
    });
    addReflection(this.server, [CoordinatorService]);
    addHealth(this.server, [CoordinatorService]);
    const address = `${this.config.grpc.host}:${this.config.grpc.port}`;
    const credentials =
      this.transport.mode === "tls"
        ? createRotatingServerCredentials(this.transport.identity)
        : ServerCredentials.createInsecure();
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port))),
    );
    this.logger.info(
      { port: this.boundPort, host: this.config.grpc.host, apiTransport: this.transport.mode },
      "gRPC CoordinatorService listening",
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2_000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
