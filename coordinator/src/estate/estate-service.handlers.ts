import { create } from "@bufbuild/protobuf";
import { Injectable } from "@nestjs/common";
import { SentraError } from "@sentra/common";
import {
  type CoordinatorService,
  Liveness,
  type RegionPrices,
  RegionPricesSchema,
  SATELLITE_ID_PATTERN,
  SatelliteBindingStatus,
  type ServiceImplementation,
  timestampFromMs,
} from "@sentra/proto";
import { EstateStore } from "./estate-store.js";
import { SatelliteAdmission } from "./satellite-admission.js";
import type { BindingStatus, SatelliteBinding } from "./satellite-binding.js";
import { SatelliteBindingRepository } from "./satellite-binding.repository.js";
import { WorkloadInventoryService } from "./workload-inventory.service.js";

/** CoordinatorService handlers for the estate: reads of what Redis holds. */
@Injectable()
export class EstateServiceHandlers {
  constructor(
    private readonly store: EstateStore,
    private readonly inventory: WorkloadInventoryService,
    private readonly bindings: SatelliteBindingRepository,
    private readonly admission: SatelliteAdmission,
  ) {}

  implementation(): Pick<
    ServiceImplementation<typeof CoordinatorService>,
    | "listSatellites"
    | "getSatellite"
    | "listRegions"
    | "listWorkloads"
    | "listSatelliteBindings"
    | "approveSatellite"
    | "rebindSatellite"
  > {
    return {
      listSatelliteBindings: async (request) => {
        const wanted = STATUS_OF_ENUM[request.status];
        if (request.status !== SatelliteBindingStatus.UNSPECIFIED && !wanted) {
          throw SentraError.invalidArgument("status", "must be BOUND, PENDING, OPEN or unspecified");
        }
        return { bindings: (await this.bindings.list(wanted)).map(bindingMessage) };
      },

      approveSatellite: async (request, context) => {
        checkSatelliteId(request.satelliteId);
        const binding = await this.bindings.approve(request.satelliteId, context.principal?.name ?? "unknown");
        if (!binding) {
          throw new SentraError("FAILED_PRECONDITION", `satellite ${request.satelliteId} is not pending approval`, {
            field: "satellite_id",
          });
        }
        this.admission.learn(binding);
        return { binding: bindingMessage(binding) };
      },

      rebindSatellite: async (request, context) => {
        checkSatelliteId(request.satelliteId);
        const binding = await this.bindings.rebind(request.satelliteId, context.principal?.name ?? "unknown");
        if (!binding) throw new SentraError("NOT_FOUND", `satellite ${request.satelliteId} has no binding`);
        this.admission.learn(binding);
        return { binding: bindingMessage(binding) };
      },

      listSatellites: async (request) => {
        const satellites = await this.store.satellites(Date.now());
        return { satellites: request.liveOnly ? satellites.filter((s) => s.liveness === Liveness.LIVE) : satellites };
      },

      getSatellite: async (request) => {
        checkSatelliteId(request.satelliteId);
        const satellite = await this.store.satellite(request.satelliteId, Date.now());
        if (!satellite)
          throw new SentraError("NOT_FOUND", `satellite ${request.satelliteId} is not known to the estate`);
        return { satellite };
      },

      listRegions: async (request) => {
        if (request.cloud && !["aws", "gcp", "azure"].includes(request.cloud)) {
          throw SentraError.invalidArgument("cloud", "must be aws, gcp, azure or empty");
        }
        const [satellites, prices] = await Promise.all([this.store.satellites(Date.now()), this.store.currentPrices()]);
        const regions = new Map<string, RegionPrices>();
        for (const satellite of satellites) {
          if (!satellite.region || (request.cloud && satellite.region.cloud !== request.cloud)) continue;
          const key = `${satellite.region.cloud}:${satellite.region.name}`;
          let entry = regions.get(key);
          if (!entry) {
            entry = create(RegionPricesSchema, { region: satellite.region, stale: true });
            regions.set(key, entry);
          }
          if (satellite.liveness === Liveness.LIVE) {
            entry.satelliteIds.push(satellite.id);
            entry.stale = false;
          }
        }
        for (const price of prices) {
          const entry = regions.get(`${price.cloud}:${price.region}`);
          if (entry && !entry.stale) entry.prices.push(price);
        }
        for (const entry of regions.values()) entry.prices.sort((a, b) => a.instanceType.localeCompare(b.instanceType));
        return {
          regions: [...regions.values()].sort((a, b) =>
            `${a.region?.cloud}${a.region?.name}`.localeCompare(`${b.region?.cloud}${b.region?.name}`),
          ),
        };
      },

      listWorkloads: async (request) => {
        const live = (await this.store.liveSatellites(Date.now())).filter(
          (satellite) =>
            (!request.satelliteId || satellite.id === request.satelliteId) &&
            (!request.region || satellite.region?.name === request.region),
        );
        const ids = live.map((satellite) => satellite.id);
        let workloads = await this.store.workloads(ids);
        // A satellite that joined since the last pull is asked now rather than shown empty; the
        // pull in flight may predate it, hence a second one.
        for (let attempt = 0; attempt < 2 && missingAny(ids, workloads); attempt++) {
          await this.inventory.sync();
          workloads = await this.store.workloads(ids);
        }
        return { workloads };
      },
    };
  }
}

function missingAny(satelliteIds: readonly string[], workloads: readonly { ref?: { satelliteId: string } }[]): boolean {
  const reported = new Set(workloads.map((workload) => workload.ref?.satelliteId));
  return satelliteIds.some((id) => !reported.has(id));
}

function checkSatelliteId(satelliteId: string): void {
  if (!SATELLITE_ID_PATTERN.test(satelliteId)) {
    throw SentraError.invalidArgument("satellite_id", "must be a satellite id (a-z, 0-9, - and _, at most 63)");
  }
}

const STATUS_OF_ENUM: Partial<Record<SatelliteBindingStatus, BindingStatus>> = {
  [SatelliteBindingStatus.BOUND]: "bound",
  [SatelliteBindingStatus.PENDING]: "pending",
  [SatelliteBindingStatus.OPEN]: "open",
};
const ENUM_OF_STATUS: Record<BindingStatus, SatelliteBindingStatus> = {
  bound: SatelliteBindingStatus.BOUND,
  pending: SatelliteBindingStatus.PENDING,
  open: SatelliteBindingStatus.OPEN,
};

function bindingMessage(binding: SatelliteBinding) {
  return {
    satelliteId: binding.satelliteId,
    cloud: binding.cloud,
    region: binding.region,
    clusters: [...binding.clusters],
    status: ENUM_OF_STATUS[binding.status],
    boundBy: binding.boundBy,
    updatedAt: timestampFromMs(binding.updatedAtMs),
  };
}
