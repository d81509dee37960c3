import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where the kubelet mounts a pod's service account (token, ca.crt, namespace). */
export const SERVICE_ACCOUNT_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/** What a pod's service-account mount holds. */
export interface ServiceAccountFiles {
  /** The bearer token the API server accepts. */
  token: string;
  /** A PEM file of the CA that signed the API server's certificate (copied as `ca.crt`). */
  caFile: string;
  /** The pod's namespace. @default "sentra-system" */
  namespace?: string;
}

/**
 * Writes what the kubelet mounts for a pod's service account below `root`, which stands for `/`
 * (`<root>/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}`): a test cannot
 * write to /var/run, and client-node's `loadFromCluster(pathPrefix)` reads them from there. Writes
 * over what is there, so a test can swap the token or the CA.
 */
export async function writeServiceAccountFiles(root: string, files: ServiceAccountFiles): Promise<void> {
  const dir = join(root, SERVICE_ACCOUNT_MOUNT_PATH);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "token"), files.token, { mode: 0o600 });
  await writeFile(join(dir, "ca.crt"), await readFile(files.caFile));
  await writeFile(join(dir, "namespace"), files.namespace ?? "sentra-system");
}
