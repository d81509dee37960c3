import { createHash } from "node:crypto";
import { DNS_LABEL, SentraError } from "@sentra/common";
import {
  MAX_IDEMPOTENCY_KEY_LENGTH,
  SATELLITE_ID_PATTERN,
  type StartRolloutRequest,
  TrafficRouterKind,
} from "@sentra/proto";

/** @default 20 — waves one rollout may have. */
export const MAX_WAVES = 20;
/** @default 65536 — longest policy accepted, in bytes. */
export const MAX_POLICY_BYTES = 65_536;
/** @default 128 — longest actor name. */
export const MAX_ACTOR_LENGTH = 128;

/** A version as it appears in Deployment names (`<service>-<version>`): a label that may hold dots. */
const VERSION = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** A DNS-1123 subdomain (route names). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** Cluster names are kube context names: printable, no spaces. */
const CLUSTER = /^[A-Za-z0-9._:@/-]+$/;
const CLOUDS = ["aws", "gcp", "azure"];

/** One wave target as given, checked for shape (not yet resolved to a live satellite). */
export interface WaveTargetInput {
  satelliteId: string;
  region: string;
  cloud: string;
  cluster: string;
}

/** A StartRollout request whose every field has been checked. */
export interface ValidStartRollout {
  service: string;
  namespace: string;
  stableVersion: string;
  canaryVersion: string;
  policyYaml: string;
  /** TrafficRouterKind name ("GATEWAY_API"), "UNSPECIFIED" for the satellite's default. */
  trafficRouter: string;
  routeName: string;
  waves: WaveTargetInput[];
  rollbackCompletedWaves: boolean;
  idempotencyKey: string | null;
  actor: string;
}

/**
 * Checks a StartRollout request; throws INVALID_ARGUMENT naming the first bad field. The policy
 * itself is checked by the first wave's satellite (its parser lives with the engine), whose
 * answer StartRollout returns.
 */
export function validateStartRollout(request: StartRolloutRequest): ValidStartRollout {
  const label = (field: string, value: string, pattern: RegExp, what: string, maxLength = 63): string => {
    if (!value) throw SentraError.invalidArgument(field, "is required");
    if (value.length > maxLength) throw SentraError.invalidArgument(field, `is longer than ${maxLength} characters`);
    if (!pattern.test(value)) throw SentraError.invalidArgument(field, `must be ${what}, got ${JSON.stringify(value)}`);
    return value;
  };
  const service = label("service", request.service, DNS_LABEL, "a DNS-1123 label (lowercase letters, digits, -)");
  const namespace = label("namespace", request.namespace, DNS_LABEL, "a DNS-1123 label (lowercase letters, digits, -)");
  const stableVersion = label(
    "stable_version",
    request.stableVersion,
    VERSION,
    "lowercase letters, digits, - and . (it names a Deployment)",
  );
  const canaryVersion = label(
    "canary_version",
    request.canaryVersion,
    VERSION,
    "lowercase letters, digits, - and . (it names a Deployment)",
  );
  if (canaryVersion === stableVersion)
    throw SentraError.invalidArgument("canary_version", "must differ from stable_version");
  if (Buffer.byteLength(request.policyYaml, "utf8") > MAX_POLICY_BYTES) {
    throw SentraError.invalidArgument("policy_yaml", `is larger than ${MAX_POLICY_BYTES} bytes`);
  }
  if (!(request.trafficRouter in TrafficRouterKind)) {
    throw SentraError.invalidArgument("traffic_router", `unknown router ${request.trafficRouter}`);
  }
  const routeName = request.routeName
    ? label("route_name", request.routeName, DNS_SUBDOMAIN, "a DNS-1123 subdomain", 253)
    : "";
  if (request.waves.length === 0) throw SentraError.invalidArgument("waves", "at least one wave is required");
  if (request.waves.length > MAX_WAVES) throw SentraError.invalidArgument("waves", `at most ${MAX_WAVES} waves`);
  const waves = request.waves.map((wave, index) => {
    const field = `waves[${index}]`;
    if (!wave.satelliteId && !wave.region) {
      throw SentraError.invalidArgument(field, "give satellite_id or region");
    }
    if (wave.satelliteId && !SATELLITE_ID_PATTERN.test(wave.satelliteId)) {
      throw SentraError.invalidArgument(
        `${field}.satellite_id`,
        `${JSON.stringify(wave.satelliteId)} is not a satellite id`,
      );
    }
    if (wave.cloud && !CLOUDS.includes(wave.cloud)) {
      throw SentraError.invalidArgument(`${field}.cloud`, "must be aws, gcp, azure or empty");
    }
    if (wave.region && (wave.region.length > 64 || !/^[a-z0-9-]+$/.test(wave.region))) {
      throw SentraError.invalidArgument(`${field}.region`, `${JSON.stringify(wave.region)} is not a region name`);
    }
    if (wave.cluster && (wave.cluster.length > 253 || !CLUSTER.test(wave.cluster))) {
      throw SentraError.invalidArgument(`${field}.cluster`, `${JSON.stringify(wave.cluster)} is not a cluster name`);
    }
    return { satelliteId: wave.satelliteId, region: wave.region, cloud: wave.cloud, cluster: wave.cluster };
  });
  if (request.idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw SentraError.invalidArgument("idempotency_key", `is longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  if (request.actor.length > MAX_ACTOR_LENGTH) {
    throw SentraError.invalidArgument("actor", `is longer than ${MAX_ACTOR_LENGTH} characters`);
  }
  return {
    service,
    namespace,
    stableVersion,
    canaryVersion,
    // An empty policy is the defaults, written the way the policy parser reads them.
    policyYaml: request.policyYaml.trim() === "" ? "{}\n" : request.policyYaml,
    trafficRouter: TrafficRouterKind[request.trafficRouter] as string,
    routeName,
    waves,
    rollbackCompletedWaves: request.rollbackCompletedWavesOnFailure,
    idempotencyKey: request.idempotencyKey || null,
    actor: request.actor,
  };
}

/** A resolved wave target: one satellite and cluster. */
export interface ResolvedWave {
  satelliteId: string;
  cluster: string;
  region: string;
}

/**
 * Fingerprint of what a start asks for (not who asks), so a retry with the same idempotency key
 * is told apart from a reuse of the key for another rollout.
 */
export function startRequestHash(request: ValidStartRollout): string {
  const { actor: _actor, idempotencyKey: _key, ...what } = request;
  return createHash("sha256").update(JSON.stringify(what)).digest("hex");
}
