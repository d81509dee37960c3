import { type DescFile, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Server } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, type ServingStatusMap } from "grpc-health-check";

/**
 * Turns on gRPC server reflection for the given services, so grpcurl and other generic tools can
 * call them. @grpc/reflection reads proto-loader package definitions; we hand it the serialised
 * file descriptors protobuf-es already holds, dependencies included.
 */
export function addReflection(server: Server, services: readonly DescService[]): void {
  const packageDefinition: Record<string, { fileDescriptorProtos: Buffer[] }> = {};
  for (const service of services) {
    const files = new Map<string, DescFile>();
    collectFiles(service.file, files);
    packageDefinition[service.typeName] = {
      fileDescriptorProtos: [...files.values()].map((file) =>
        Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
      ),
    };
  }
  // biome-ignore lint/suspicious/noExplicitAny: the package definition shape is all reflection reads
  new ReflectionService(packageDefinition as any).addToServer(server);
}

function collectFiles(file: DescFile, into: Map<string, DescFile>): void {
  if (into.has(file.name)) return;
  into.set(file.name, file);
  for (const dependency of file.dependencies) collectFiles(dependency, into);
}

/** Adds grpc.health.v1 with every given service (and "") SERVING; returns it to change statuses. */
export function addHealth(server: Server, services: readonly DescService[]): HealthImplementation {
  const statuses: ServingStatusMap = { "": "SERVING" };
  for (const service of services) statuses[service.typeName] = "SERVING";
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  return health;
}
