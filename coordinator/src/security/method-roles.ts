import type { Role } from "./role.js";

/**
 * The role each CoordinatorService method needs. Reads need viewer; commands need operator;
 * managing credentials and reading the audit log needs admin. A method missing here needs admin
 * (default deny): a new RPC is closed until someone decides who may call it.
 */
export const COORDINATOR_METHOD_ROLES: Readonly<Record<string, Role>> = {
  ListSatellites: "viewer",
  GetSatellite: "viewer",
  ListRegions: "viewer",
  ListWorkloads: "viewer",
  ListOpportunities: "viewer",
  WatchOpportunities: "viewer",
  PlanMigration: "viewer",
  GetMigration: "viewer",
  ListMigrations: "viewer",
  WatchMigrations: "viewer",
  Migrate: "operator",
  StartRollout: "operator",
  GetRollout: "viewer",
  ListRollouts: "viewer",
  WatchRollouts: "viewer",
  PromoteRollout: "operator",
  AbortRollout: "operator",
  GetRolloutHistory: "viewer",
  CreateApiToken: "admin",
  RevokeApiToken: "admin",
  ListApiTokens: "admin",
  ListAuditEvents: "admin",
  ListSatelliteBindings: "viewer",
  ApproveSatellite: "admin",
  RebindSatellite: "admin",
};

/** Role a method needs; admin for anything not listed. */
export function requiredRole(method: string): Role {
  return COORDINATOR_METHOD_ROLES[method] ?? "admin";
}

/** Mutating calls are rate-limited and always audited. */
export function isMutating(method: string): boolean {
  return !/^(List|Get|Watch|Plan)/.test(method);
}
