import type { DescService } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { SentraError } from "@sentra/common";
import type { ServiceImplementation } from "./service-implementation.js";

/**
 * Completes a partial implementation: every method not given answers UNIMPLEMENTED. For fakes in
 * tests and for servers that serve part of a service on purpose; a full server gets no help here
 * (addService refuses a missing handler).
 */
export function withUnimplemented<S extends GenService<GenServiceMethods>>(
  service: S,
  handlers: Partial<ServiceImplementation<S>>,
): ServiceImplementation<S> {
  const all: Record<string, unknown> = {};
  for (const method of (service as unknown as DescService).methods) {
    all[method.localName] =
      (handlers as Record<string, unknown>)[method.localName] ??
      (async () => {
        throw new SentraError("UNIMPLEMENTED", `${method.name} is not implemented here`);
      });
  }
  return all as ServiceImplementation<S>;
}
