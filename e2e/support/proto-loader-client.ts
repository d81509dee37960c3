import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { REPO_ROOT } from "@sentra/testkit";

/**
 * A CoordinatorService client built from the .proto files at run time with @grpc/proto-loader —
 * a toolchain none of Sentra's code uses — so the test proves the wire contract, not our adapter.
 * Every call carries `authorization: Bearer <token>` when a token is given.
 */
export function createProtoLoaderCoordinatorClient(
  address: string,
  token?: string,
): {
  call<T>(method: string, request: object): Promise<T>;
  close(): void;
} {
  const definition = protoLoader.loadSync(join(REPO_ROOT, "proto/sentra/v1/coordinator_service.proto"), {
    includeDirs: [join(REPO_ROOT, "proto")],
    longs: Number,
    enums: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    sentra: { v1: { CoordinatorService: grpc.ServiceClientConstructor } };
  };
  const client = new loaded.sentra.v1.CoordinatorService(address, grpc.credentials.createInsecure());
  return {
    call: <T>(method: string, request: object) =>
      new Promise<T>((resolve, reject) => {
        const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method];
        if (!fn) throw new Error(`no method ${method}`);
        const metadata = new grpc.Metadata();
        if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
        fn.call(client, request, metadata, { deadline: Date.now() + 3_000 }, (error: Error | null, response: T) =>
          error ? reject(error) : resolve(response),
        );
      }),
    close: () => client.close(),
  };
}
