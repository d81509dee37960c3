import { stringify } from "yaml";

/** Token written into generated kubeconfigs; the simulated server accepts any bearer token. */
export const SIMULATED_CLUSTER_TOKEN = "sentra-sim-token";

/** Options of `simulatedKubeconfig`. */
export interface KubeconfigOptions {
  /** Cluster name (also the user name suffix). */
  clusterName: string;
  /** API server URL. */
  server: string;
  /** @default clusterName */
  contextName?: string;
  /** Default namespace of the context; none when absent. */
  namespace?: string;
  /** @default SIMULATED_CLUSTER_TOKEN */
  token?: string;
}

/** A kubeconfig (YAML) with one cluster, one static-token user and one current context. */
export function simulatedKubeconfig(options: KubeconfigOptions): string {
  const contextName = options.contextName ?? options.clusterName;
  const userName = `sentra-sim-${options.clusterName}`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    preferences: {},
    // client-node refuses plain-http servers unless TLS verification is off; there is no TLS to verify.
    clusters: [{ name: options.clusterName, cluster: { server: options.server, "insecure-skip-tls-verify": true } }],
    users: [{ name: userName, user: { token: options.token ?? SIMULATED_CLUSTER_TOKEN } }],
    contexts: [
      {
        name: contextName,
        context: {
          cluster: options.clusterName,
          user: userName,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
    "current-context": contextName,
  });
}
