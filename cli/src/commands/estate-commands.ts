import { Liveness, msOf } from "@sentra/proto";
import type { Command } from "commander";
import { type ConnectionOptions, connectToCoordinator } from "../coordinator-connection.js";
import { printTable } from "../print-table.js";

/** Read commands over the estate: satellites, regions with prices, workloads. */
export function registerEstateCommands(program: Command): void {
  program
    .command("satellites")
    .description("satellites with their liveness")
    .action(async (_options: unknown, command: Command) => {
      const connection = connectToCoordinator(command.optsWithGlobals<ConnectionOptions>());
      try {
        const { satellites } = await connection.client.listSatellites({}, { metadata: connection.metadata });
        printTable(
          ["SATELLITE", "REGION", "LIVENESS", "LAST SEEN", "CLUSTERS", "ENDPOINT"],
          satellites.map((satellite) => [
            satellite.id,
            `${satellite.region?.cloud}/${satellite.region?.name}`,
            Liveness[satellite.liveness].toLowerCase(),
            `${Math.round((Date.now() - msOf(satellite.lastSeenAt)) / 1000)} s ago`,
            satellite.clusters
              .map((cluster) => `${cluster.cluster}${cluster.reachable ? "" : " (unreachable)"}`)
              .join(","),
            satellite.grpcEndpoint,
          ]),
        );
      } finally {
        connection.close();
      }
    });

  program
    .command("regions")
    .description("regions with their live satellites and current spot prices")
    .action(async (_options: unknown, command: Command) => {
      const connection = connectToCoordinator(command.optsWithGlobals<ConnectionOptions>());
      try {
        const { regions } = await connection.client.listRegions({}, { metadata: connection.metadata });
        printTable(
          ["REGION", "SATELLITES", "STALE", "CHEAPEST", "USD/H"],
          regions.map((region) => {
            const cheapest = [...region.prices].sort((a, b) => a.usdPerHour - b.usdPerHour)[0];
            return [
              `${region.region?.cloud}/${region.region?.name}`,
              region.satelliteIds.join(","),
              region.stale ? "yes" : "no",
              cheapest?.instanceType ?? "-",
              cheapest ? cheapest.usdPerHour.toFixed(4) : "-",
            ];
          }),
        );
      } finally {
        connection.close();
      }
    });

  program
    .command("workloads")
    .description("workloads reported by live satellites")
    .option("--region <region>", "only this region")
    .action(async (options: { region?: string }, command: Command) => {
      const connection = connectToCoordinator(command.optsWithGlobals<ConnectionOptions>());
      try {
        const { workloads } = await connection.client.listWorkloads(
          { region: options.region ?? "" },
          { metadata: connection.metadata },
        );
        printTable(
          ["WORKLOAD", "REGION", "READY", "CPU", "MEMORY"],
          workloads.map((workload) => [
            `${workload.ref?.satelliteId}/${workload.ref?.namespace}/${workload.ref?.name}`,
            workload.region,
            `${workload.readyReplicas}/${workload.desiredReplicas}`,
            `${workload.cpuMillicores}m`,
            `${Number(workload.memoryBytes / 1_048_576n)}Mi`,
          ]),
        );
      } finally {
        connection.close();
      }
    });
}
