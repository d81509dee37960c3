import type {
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type {
  Metadata,
  Server,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
  UntypedHandleCall,
} from "@grpc/grpc-js";
import { SentraError } from "@sentra/common";
import { createServiceDefinition, UndecodableRequest } from "./service-definition.js";
import { toGrpcStatus } from "./status.js";

/** What a handler knows about the call besides its request. */
export interface CallContext {
  readonly metadata: Metadata;
  /** The caller's address as grpc-js reports it (e.g. "ipv4:127.0.0.1:53422"). */
  readonly peer: string;
  /** Aborted when the client cancels or its deadline passes. */
  readonly signal: AbortSignal;
  /** The TLS peer certificate's common name, when the channel is mTLS. */
  readonly peerCommonName: string | undefined;
  readonly method: string;
  /** True for a server-streaming method: the call lasts until the stream ends. */
  readonly streaming: boolean;
  /** Who is calling, once an interceptor has authenticated the call. */
  principal: CallPrincipal | undefined;
  /**
   * Ends the call from the server with `error` (e.g. its token was revoked): `signal` aborts, and a
   * stream stops and answers the error's status. Does nothing once the call has ended.
   */
  end(error: SentraError): void;
}

/** Calls ended from the server (`CallContext.end`), with the error their client gets. */
const endedByServer = new WeakMap<CallContext, SentraError>();

/** An authenticated caller: a token's name and role, or a certificate's common name. */
export interface CallPrincipal {
  readonly name: string;
  readonly role: string;
  readonly via: "token" | "certificate" | "none";
}

type UnaryHandler<M> =
  M extends DescMethodUnary<infer I, infer O>
    ? (request: MessageShape<I>, context: CallContext) => Promise<MessageInitShape<O>>
    : never;

type ServerStreamingHandler<M> =
  M extends DescMethodServerStreaming<infer I, infer O>
    ? (request: MessageShape<I>, context: CallContext) => AsyncIterable<MessageInitShape<O>>
    : never;

/** The handlers of a service: one async function (or async generator for streams) per method. */
export type ServiceImplementation<S extends GenService<GenServiceMethods>> = {
  [K in keyof S["method"]]: S["method"][K] extends { methodKind: "unary" }
    ? UnaryHandler<S["method"][K]>
    : S["method"][K] extends { methodKind: "server_streaming" }
      ? ServerStreamingHandler<S["method"][K]>
      : never;
};

/** Runs before every handler (authentication, audit, metrics); throw a SentraError to refuse. */
export type CallInterceptor = (context: CallContext) => Promise<void> | void;

/** Hooks around every call of a service. */
export interface AddServiceOptions {
  interceptors?: readonly CallInterceptor[];
  /**
   * Called once per call when it ends: gRPC status code name ("OK" on success), duration, the
   * call's context (principal, peer) and its request — what audit and metrics need.
   */
  onCallEnd?: (method: string, code: string, durationMs: number, context: CallContext, request: unknown) => void;
}

/**
 * Registers typed handlers on a grpc-js server. Errors thrown by a handler become gRPC statuses
 * through the one error vocabulary; responses are created from init shapes.
 */
export function addService<S extends GenService<GenServiceMethods>>(
  server: Server,
  service: S,
  implementation: ServiceImplementation<S>,
  options: AddServiceOptions = {},
): void {
  const interceptors = options.interceptors ?? [];
  const onCallEnd = options.onCallEnd ?? (() => {});
  const descriptor = service as unknown as DescService;
  const handlers: Record<string, UntypedHandleCall> = {};
  for (const method of descriptor.methods) {
    const handler = (implementation as Record<string, unknown>)[method.localName];
    if (typeof handler !== "function") throw new Error(`${descriptor.typeName}.${method.name} has no handler`);
    if (method.methodKind === "unary") {
      handlers[method.localName] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const context = contextOf(call, method.name, false);
        const startedAt = performance.now();
        void (async () => {
          try {
            for (const interceptor of interceptors) await interceptor(context);
            refuseUndecodable(call.request);
            const response = await (handler as (r: unknown, c: CallContext) => Promise<Record<string, unknown>>)(
              call.request,
              context,
            );
            callback(null, create(method.output, response));
            onCallEnd(method.name, "OK", performance.now() - startedAt, context, call.request);
          } catch (error) {
            callback(toGrpcStatus(error));
            onCallEnd(method.name, SentraError.from(error).code, performance.now() - startedAt, context, call.request);
          }
        })();
      };
    } else if (method.methodKind === "server_streaming") {
      handlers[method.localName] = (call: ServerWritableStream<unknown, unknown>) => {
        const context = contextOf(call, method.name, true);
        const startedAt = performance.now();
        void (async () => {
          try {
            for (const interceptor of interceptors) await interceptor(context);
            refuseUndecodable(call.request);
            const stream = (handler as (r: unknown, c: CallContext) => AsyncIterable<Record<string, unknown>>)(
              call.request,
              context,
            );
            for await (const message of stream) {
              if (context.signal.aborted) break;
              if (!call.write(create(method.output, message))) await drainedOrEnded(call, context.signal);
            }
            const ended = endedByServer.get(context);
            if (ended) throw ended;
            if (!context.signal.aborted) call.end();
            onCallEnd(
              method.name,
              context.signal.aborted ? "CANCELLED" : "OK",
              performance.now() - startedAt,
              context,
              call.request,
            );
          } catch (thrown) {
            // A stream the server ended answers why, whatever its generator threw on the abort.
            const ended = endedByServer.get(context);
            const error = ended ?? thrown;
            if (ended || !context.signal.aborted) {
              // grpc-js sends a stream's status from its 'error' event; destroy() would never send one.
              call.emit("error", Object.assign(new Error("stream failed"), toGrpcStatus(error)));
            }
            onCallEnd(method.name, SentraError.from(error).code, performance.now() - startedAt, context, call.request);
          }
        })();
      };
    } else {
      throw new Error(`${descriptor.typeName}.${method.name}: ${method.methodKind} is not supported yet`);
    }
  }
  server.addService(createServiceDefinition(descriptor), handlers);
}

/** After authentication (so an anonymous caller learns nothing about the method): bad bytes are INVALID_ARGUMENT. */
function refuseUndecodable(request: unknown): void {
  if (request instanceof UndecodableRequest) {
    throw SentraError.invalidArgument("(request)", `not a valid ${request.typeName} message: ${request.problem}`);
  }
}

function contextOf(
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
  method: string,
  streaming: boolean,
): CallContext {
  const controller = new AbortController();
  call.on("cancelled", () => controller.abort(new Error("call cancelled by the client")));
  const certificate = call.getAuthContext?.()?.sslPeerCertificate;
  const context: CallContext = {
    metadata: call.metadata,
    peer: call.getPeer(),
    signal: controller.signal,
    peerCommonName: firstOf(certificate?.subject?.CN),
    method,
    streaming,
    principal: undefined,
    end: (error) => {
      if (controller.signal.aborted) return;
      endedByServer.set(context, error);
      controller.abort(error);
    },
  };
  return context;
}

/**
 * Waits until a stream the client reads slowly has room again, or until the call ends: a client
 * that stops reading and then cancels never drains, and the stream (its handler, its place in
 * the per-token stream count) would wait for it forever.
 */
function drainedOrEnded(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      call.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

function firstOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
