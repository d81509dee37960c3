import {
  ApproveSatelliteResponseSchema,
  ListRegionsResponseSchema,
  ListSatelliteBindingsResponseSchema,
  ListSatellitesResponseSchema,
  ListWorkloadsResponseSchema,
  Liveness,
  msOf,
  priceSourceName,
  RebindSatelliteResponseSchema,
  type SatelliteBinding,
  SatelliteBindingStatus,
} from "@sentra/proto";
import { type Command, InvalidArgumentError } from "commander";
import { withCoordinator } from "../command-context.js";
import { writeMessage } from "../output/output-format.js";

/** Read commands over the estate: satellites, regions with prices, workloads. */
export function registerEstateCommands(program: Command): void {
  program
    .command("satellites")
    .description("satellites with their liveness")
    .option("--live", "leave out stale satellites")
    .action(async (options: { live?: boolean }, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.listSatellites({ liveOnly: options.live === true });
        writeMessage(context.format, ListSatellitesResponseSchema, response, () => ({
          headers: ["SATELLITE", "REGION", "LIVENESS", "LAST SEEN", "CLUSTERS", "ENDPOINT"],
          rows: response.satellites.map((satellite) => [
            satellite.id,
            `${satellite.region?.cloud}/${satellite.region?.name}`,
            Liveness[satellite.liveness].toLowerCase(),
            `${Math.round((Date.now() - msOf(satellite.lastSeenAt)) / 1000)} s ago`,
            satellite.clusters
              .map((cluster) => `${cluster.cluster}${cluster.reachable ? "" : " (unreachable)"}`)
              .join(","),
            satellite.grpcEndpoint,
          ]),
        }));
      }),
    );

  program
    .command("regions")
    .description("regions with their live satellites and current spot prices")
    .option("--cloud <cloud>", "only this cloud (aws, gcp, azure)")
    .action(async (options: { cloud?: string }, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.listRegions({ cloud: options.cloud ?? "" });
        writeMessage(context.format, ListRegionsResponseSchema, response, () => ({
          headers: ["REGION", "SATELLITES", "STALE", "CHEAPEST", "USD/H", "PRICE SOURCE"],
          rows: response.regions.map((region) => {
            const cheapest = [...region.prices].sort((a, b) => a.usdPerHour - b.usdPerHour)[0];
            return [
              `${region.region?.cloud}/${region.region?.name}`,
              region.satelliteIds.join(","),
              region.stale ? "yes" : "no",
              cheapest?.instanceType ?? "-",
              cheapest ? cheapest.usdPerHour.toFixed(4) : "-",
              cheapest ? priceSourceName(cheapest.source) : "-",
            ];
          }),
        }));
      }),
    );

  program
    .command("workloads")
    .description("workloads reported by live satellites")
    .option("--region <region>", "only this region")
    .option("--satellite <id>", "only this satellite")
    .action(async (options: { region?: string; satellite?: string }, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.listWorkloads({
          region: options.region ?? "",
          satelliteId: options.satellite ?? "",
        });
        writeMessage(context.format, ListWorkloadsResponseSchema, response, () => ({
          headers: ["WORKLOAD", "REGION", "READY", "CPU", "MEMORY"],
          rows: response.workloads.map((workload) => [
            `${workload.ref?.satelliteId}/${workload.ref?.namespace}/${workload.ref?.name}`,
            workload.region,
            `${workload.readyReplicas}/${workload.desiredReplicas}`,
            `${workload.cpuMillicores}m`,
            `${Number(workload.memoryBytes / 1_048_576n)}Mi`,
          ]),
        }));
      }),
    );

  program
    .command("satellite-bindings")
    .description("what each satellite id is bound to (cloud, region, clusters) and whether bound, pending or open")
    .option("--status <status>", "only bound, pending or open", parseBindingStatus)
    .action(async (options: { status?: SatelliteBindingStatus }, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.listSatelliteBindings({
          status: options.status ?? SatelliteBindingStatus.UNSPECIFIED,
        });
        writeMessage(context.format, ListSatelliteBindingsResponseSchema, response, () => ({
          headers: BINDING_HEADERS,
          rows: response.bindings.map(bindingRow),
        }));
      }),
    );

  program
    .command("approve-satellite <satellite-id>")
    .description("admit a pending satellite as it claimed (admission mode approval; admin)")
    .action(async (satelliteId: string, _options: unknown, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.approveSatellite({ satelliteId });
        writeMessage(context.format, ApproveSatelliteResponseSchema, response, () => ({
          headers: BINDING_HEADERS,
          rows: response.binding ? [bindingRow(response.binding)] : [],
        }));
      }),
    );

  program
    .command("rebind-satellite <satellite-id>")
    .description("open a satellite's binding: its next heartbeat's cloud, region and clusters become it (admin)")
    .action(async (satelliteId: string, _options: unknown, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.rebindSatellite({ satelliteId });
        writeMessage(context.format, RebindSatelliteResponseSchema, response, () => ({
          headers: BINDING_HEADERS,
          rows: response.binding ? [bindingRow(response.binding)] : [],
        }));
      }),
    );
}

const BINDING_HEADERS = ["SATELLITE", "REGION", "CLUSTERS", "STATUS", "BY"];

function bindingRow(binding: SatelliteBinding): string[] {
  return [
    binding.satelliteId,
    `${binding.cloud}/${binding.region}`,
    binding.clusters.join(",") || "-",
    SatelliteBindingStatus[binding.status].toLowerCase(),
    binding.boundBy,
  ];
}

function parseBindingStatus(value: string): SatelliteBindingStatus {
  const status = {
    bound: SatelliteBindingStatus.BOUND,
    pending: SatelliteBindingStatus.PENDING,
    open: SatelliteBindingStatus.OPEN,
  }[value];
  if (status === undefined) throw new InvalidArgumentError("must be bound, pending or open");
  return status;
}
