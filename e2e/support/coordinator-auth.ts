import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { ApiTokenRole, CoordinatorService, createServiceClient, type ServiceClient } from "@sentra/proto";
import type { TestNamespace } from "@sentra/testkit";

/** The admin token file of a namespace's coordinators: one per namespace, so restarts keep the token. */
const adminTokenFiles = new WeakMap<TestNamespace, { path: string; token: string }>();

/**
 * Writes the namespace's admin token (a fresh `sentra_…` token, mode 0600) into a temporary
 * folder, once; every coordinator started in the namespace gets it as `SENTRA_ADMIN_TOKEN_FILE`
 * and registers it as `bootstrap-admin`. Removed with the namespace.
 */
export function namespaceAdminTokenFile(namespace: TestNamespace): { path: string; token: string } {
  let entry = adminTokenFiles.get(namespace);
  if (!entry) {
    const dir = mkdtempSync(join(tmpdir(), `sentra-e2e-${namespace.id}-`));
    const token = `sentra_${randomBytes(32).toString("base64url")}`;
    const path = join(dir, "admin-token");
    writeFileSync(path, `${token}\n`, { mode: 0o600 });
    entry = { path, token };
    adminTokenFiles.set(namespace, entry);
    namespace.defer(() => rmSync(dir, { recursive: true, force: true }));
  }
  return entry;
}

/** gRPC metadata with the bearer token. */
export function bearerMetadata(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** HTTP headers with the bearer token, plus `extra` (e.g. a content type). */
export function bearerHeaders(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { Authorization: `Bearer ${token}`, ...extra };
}

export type CoordinatorClient = ServiceClient<typeof CoordinatorService>;

/** A typed CoordinatorService client sending `token` with every call (none: no token), closed with the namespace. */
export function coordinatorClientWithToken(
  namespace: TestNamespace,
  address: string,
  token: string | undefined,
): CoordinatorClient {
  const client = createServiceClient(CoordinatorService, address, credentials.createInsecure(), {
    defaultTimeoutMs: 10_000,
    ...(token === undefined ? {} : { metadata: bearerMetadata(token) }),
  });
  namespace.defer(() => client.close());
  return client;
}

const ROLE_ENUM = { viewer: ApiTokenRole.VIEWER, operator: ApiTokenRole.OPERATOR, admin: ApiTokenRole.ADMIN };

/** Creates an API token with `role` through CreateApiToken (as admin) and returns the token. */
export async function createApiToken(
  admin: CoordinatorClient,
  name: string,
  role: keyof typeof ROLE_ENUM,
): Promise<{ id: string; token: string }> {
  const created = await admin.createApiToken({ name, role: ROLE_ENUM[role] });
  return { id: created.apiToken?.id ?? "", token: created.token };
}
