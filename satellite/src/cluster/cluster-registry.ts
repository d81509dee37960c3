import { KubeConfig } from "@kubernetes/client-node";
import { type Logger, SentraError } from "@sentra/common";
import type { SatelliteConfig } from "../config/satellite-config.js";
import { releasePolicyCrd } from "../gitops/release-policy-crd.js";
import { KubeCluster } from "./kube-cluster.js";
import { type CustomResourceDefinition, DEMO_ROLLOUT_SERVICE, SimulatedCluster } from "./sim/index.js";

/**
 * The clusters one satellite manages: one (federated topology) or several kube contexts (central
 * topology). In simulated mode it also owns the simulated clusters it started.
 */
export class ClusterRegistry {
  private constructor(
    private readonly clusters: Map<string, KubeCluster>,
    private readonly simulated: SimulatedCluster[],
  ) {}

  static async start(config: SatelliteConfig, logger: Logger): Promise<ClusterRegistry> {
    const clusters = new Map<string, KubeCluster>();
    const simulated: SimulatedCluster[] = [];
    try {
      if (config.kube === undefined) {
        for (let index = 0; index < config.simulation.clusters; index++) {
          const name =
            config.simulation.clusters === 1 ? `${config.satelliteId}-sim` : `${config.satelliteId}-sim-${index + 1}`;
          const trafficRps = config.simulation.trafficRequestsPerSecond;
          const cluster = await SimulatedCluster.start({
            name,
            readinessDelayMs: config.simulation.readinessDelayMs,
            seed: "demo",
            // Traffic through HTTPRoutes gives the release guard real metrics to judge (Services and
            // HTTPRoutes are served either way, so rollouts can be started against the simulation).
            traffic: { requestsPerSecond: trafficRps },
            // A service ready for a canary, so a demo rollout needs no preparation.
            services: [DEMO_ROLLOUT_SERVICE],
            // As if the satellite chart's CRD were installed: the GitOps trigger works in simulation.
            customResourceDefinitions: [releasePolicyCrd() as unknown as CustomResourceDefinition],
          });
          simulated.push(cluster);
          const kubeConfig = new KubeConfig();
          kubeConfig.loadFromString(cluster.kubeconfigYaml({ contextName: name }));
          clusters.set(name, new KubeCluster(name, kubeConfig, logger));
          logger.info(
            { cluster: name, url: cluster.url, metricsUrl: trafficRps > 0 ? cluster.trafficMetricsUrl : undefined },
            "simulated cluster started",
          );
        }
      } else {
        const kubeConfig = new KubeConfig();
        if (config.kube.kubeconfigPath) kubeConfig.loadFromFile(config.kube.kubeconfigPath);
        // In a pod: the service account, explicitly rather than through loadFromDefault, which
        // would prefer a ~/.kube/config and could not be pointed at a test's service-account files.
        else if (config.kube.inCluster) kubeConfig.loadFromCluster(config.kube.inCluster.pathPrefix);
        else kubeConfig.loadFromDefault();
        const contexts = config.kube.contexts.length > 0 ? config.kube.contexts : [kubeConfig.getCurrentContext()];
        for (const context of contexts) {
          if (!kubeConfig.getContextObject(context)) {
            throw new SentraError(
              "INVALID_ARGUMENT",
              `kube context ${JSON.stringify(context)} is not in the kubeconfig`,
              {
                field: "SENTRA_KUBE_CONTEXTS",
              },
            );
          }
          const perContext = new KubeConfig();
          perContext.loadFromString(kubeConfig.exportConfig());
          perContext.setCurrentContext(context);
          clusters.set(context, new KubeCluster(context, perContext, logger, config.kube.namespaces));
        }
      }
      await Promise.all(
        [...clusters.values()].map((cluster) =>
          cluster.start().catch((error: unknown) => {
            // An unreachable cluster at start is reported as unhealthy, not fatal: it may come back.
            logger.warn({ cluster: cluster.name, err: String(error) }, "cluster not reachable at start");
          }),
        ),
      );
      return new ClusterRegistry(clusters, simulated);
    } catch (error) {
      await Promise.allSettled([...clusters.values()].map((cluster) => cluster.stop()));
      await Promise.allSettled(simulated.map((cluster) => cluster.close()));
      throw error;
    }
  }

  names(): string[] {
    return [...this.clusters.keys()];
  }

  all(): KubeCluster[] {
    return [...this.clusters.values()];
  }

  get(name: string): KubeCluster {
    const cluster = this.clusters.get(name);
    if (!cluster)
      throw new SentraError("NOT_FOUND", `cluster ${JSON.stringify(name)} is not managed by this satellite`, {
        field: "cluster",
      });
    return cluster;
  }

  /** The simulated clusters this satellite started (empty with real clusters). */
  simulatedClusters(): readonly SimulatedCluster[] {
    return this.simulated;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.clusters.values()].map((cluster) => cluster.stop()));
    await Promise.allSettled(this.simulated.map((cluster) => cluster.close()));
  }
}
