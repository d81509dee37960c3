import { type DescMethod, type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** A request body that is not the method's protobuf message (what the deserializer returns instead of throwing). */
export class UndecodableRequest {
  constructor(
    readonly typeName: string,
    readonly problem: string,
  ) {}
}

/**
 * Builds a grpc-js service definition from a protobuf-es v2 service descriptor. protoc-gen-es v2
 * emits descriptors but no grpc-js stubs; this one adapter serves every service and method, so no
 * per-method glue exists. Keys are the methods' local (lowerCamelCase) names.
 */
export function createServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = createMethodDefinition(service, method);
  }
  return definition as ServiceDefinition;
}

function createMethodDefinition(service: DescService, method: DescMethod): MethodDefinition<unknown, unknown> {
  const input = method.input;
  const output = method.output;
  return {
    path: `/${service.typeName}/${method.name}`,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    // biome-ignore lint/suspicious/noExplicitAny: descriptors are typed at the service level
    requestSerialize: (message: unknown) => Buffer.from(toBinary(input, message as any)),
    // grpc-js answers INTERNAL when a deserializer throws; a client's bad bytes are its own
    // mistake, so the handler adapter turns this marker into INVALID_ARGUMENT instead.
    requestDeserialize: (bytes: Buffer) => {
      try {
        return fromBinary(input, bytes);
      } catch (error) {
        return new UndecodableRequest(input.typeName, error instanceof Error ? error.message : String(error));
      }
    },
    // biome-ignore lint/suspicious/noExplicitAny: as above
    responseSerialize: (message: unknown) => Buffer.from(toBinary(output, message as any)),
    responseDeserialize: (bytes: Buffer) => fromBinary(output, bytes),
    originalName: method.localName,
  };
}
