import type { Region } from "@sentra/proto";

/** Who a satellite is: its id, region and build version, shared by its publishers and services. */
export interface SatelliteIdentity {
  satelliteId: string;
  region: Region;
  version: string;
}
