import type {
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import {
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientReadableStream,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";
import { createServiceDefinition } from "./service-definition.js";
import { fromGrpcError } from "./status.js";

/** Per-call options. Every unary call has a deadline: an unreachable peer cannot hang a caller. */
export interface CallOptions {
  /** @default the client's defaultTimeoutMs */
  timeoutMs?: number;
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

type UnaryMethod<M> =
  M extends DescMethodUnary<infer I, infer O>
    ? (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>
    : never;

type ServerStreamingMethod<M> =
  M extends DescMethodServerStreaming<infer I, infer O>
    ? (request: MessageInitShape<I>, options?: CallOptions) => AsyncIterable<MessageShape<O>>
    : never;

/** A promise-based client: one method per RPC, named by its local name. */
export type ServiceClient<S extends GenService<GenServiceMethods>> = {
  [K in keyof S["method"]]: S["method"][K] extends { methodKind: "unary" }
    ? UnaryMethod<S["method"][K]>
    : S["method"][K] extends { methodKind: "server_streaming" }
      ? ServerStreamingMethod<S["method"][K]>
      : never;
} & {
  /** Closes the channel. */
  close(): void;
  /** Resolves once the channel is connected, rejects after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void>;
};

export interface ServiceClientOptions {
  /** Deadline applied to unary calls that name none. @default 10_000 */
  defaultTimeoutMs?: number;
  /**
   * Metadata sent with every call (e.g. `authorization: Bearer <token>`); a call's own `metadata`
   * wins per key. @default none
   */
  metadata?: Record<string, string>;
  channelOptions?: ChannelOptions;
}

const DEFAULT_UNARY_TIMEOUT_MS = 10_000;

/** Creates a typed client for a protobuf-es service over grpc-js. */
export function createServiceClient<S extends GenService<GenServiceMethods>>(
  service: S,
  address: string,
  credentials: ChannelCredentials,
  options: ServiceClientOptions = {},
): ServiceClient<S> {
  const descriptor = service as unknown as DescService;
  const Constructor = makeGenericClientConstructor(createServiceDefinition(descriptor), descriptor.typeName);
  const client = new Constructor(address, credentials, options.channelOptions) as Client &
    Record<string, (...args: unknown[]) => unknown>;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_UNARY_TIMEOUT_MS;
  const metadataOf = (callOptions: CallOptions): Metadata =>
    toMetadata({ ...options.metadata, ...callOptions.metadata });
  const typed: Record<string, unknown> = {
    close: () => client.close(),
    waitForReady: (timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(fromGrpcError(error)) : resolve()));
      }),
  };
  for (const method of descriptor.methods) {
    const invoke = client[method.localName]?.bind(client);
    if (!invoke) throw new Error(`grpc client has no method ${method.localName}`);
    if (method.methodKind === "unary") {
      typed[method.localName] = (request: Record<string, unknown>, callOptions: CallOptions = {}) =>
        new Promise((resolve, reject) => {
          const call = invoke(
            create(method.input, request),
            metadataOf(callOptions),
            { deadline: Date.now() + (callOptions.timeoutMs ?? defaultTimeoutMs) },
            (error: ServiceError | null, response: unknown) =>
              error ? reject(fromGrpcError(error)) : resolve(response),
          ) as { cancel(): void };
          callOptions.signal?.addEventListener("abort", () => call.cancel(), { once: true });
        });
    } else if (method.methodKind === "server_streaming") {
      typed[method.localName] = (request: Record<string, unknown>, callOptions: CallOptions = {}) =>
        streamOf(
          () =>
            invoke(
              create(method.input, request),
              metadataOf(callOptions),
              callOptions.timeoutMs === undefined ? {} : { deadline: Date.now() + callOptions.timeoutMs },
            ) as ClientReadableStream<unknown>,
          callOptions.signal,
        );
    }
  }
  return typed as ServiceClient<S>;
}

async function* streamOf(
  open: () => ClientReadableStream<unknown>,
  signal: AbortSignal | undefined,
): AsyncGenerator<unknown> {
  const call = open();
  const onAbort = (): void => call.cancel();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const message of call) yield message;
  } catch (error) {
    if (signal?.aborted) return;
    throw fromGrpcError(error);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    call.cancel();
  }
}

function toMetadata(values: Record<string, string> | undefined): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(values ?? {})) metadata.set(key, value);
  return metadata;
}
