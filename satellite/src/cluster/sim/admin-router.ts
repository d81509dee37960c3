import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { RequestFailure, RequestFailureRule, UnreachableMode } from "./failure-injector.js";
import { readBody, sendJson } from "./http-json.js";
import type { ReadinessFailure } from "./readiness-simulator.js";
import type { ReplicaPoint } from "./replica-timeline.js";
import { badRequest, failureStatus, StatusError } from "./status-error.js";
import type { WorkloadServerInfo } from "./workload-servers.js";

/** Prefix of the simulation's own endpoints, beside the Kubernetes API. */
export const ADMIN_PATH_PREFIX = "/sentra-sim/v1";

/** Every failure injected into a cluster. */
export interface FailureSnapshot {
  readiness: ReadinessFailure[];
  requestFailures: RequestFailure[];
  unreachable: UnreachableMode | null;
}

/** The controls the admin endpoints drive (a `SimulatedCluster` provides them). */
export interface AdminTarget {
  readonly name: string;
  readonly url: string;
  readonly resourceVersion: number;
  readonly readinessDelayMs: number;
  readonly openWatchCount: number;
  setReadinessDelay(ms: number): void;
  failReadiness(namespace: string, name: string, maxReady?: number): ReadinessFailure;
  clearReadinessFailures(namespace?: string, name?: string): void;
  failRequests(rule: RequestFailureRule): RequestFailure;
  unreachable(unreachable: boolean | UnreachableMode): void;
  dropWatches(): void;
  clearFailures(): void;
  failures(): FailureSnapshot;
  timeline(namespace: string, name: string): ReplicaPoint[];
  /** The simulated workloads' metrics, if the cluster simulates traffic. */
  metrics(): Promise<{ contentType: string; text: string } | undefined>;
  /** The versions' real HTTP servers, if the cluster simulates traffic. */
  workloadServers(): WorkloadServerInfo[] | undefined;
}

/** Body of `POST /sentra-sim/v1/failures`: one injection, discriminated by `type`. */
export const failureRequestSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("failReadiness"),
    namespace: z.string().min(1),
    name: z.string().min(1),
    maxReady: z.number().int().nonnegative().optional(),
  }),
  z.object({ type: z.literal("clearReadiness"), namespace: z.string().optional(), name: z.string().optional() }),
  z.object({
    type: z.literal("failRequests"),
    method: z.string().optional(),
    pathPattern: z.string().optional(),
    status: z.number().int().min(400).max(599),
    times: z.union([z.number().int().positive(), z.literal("always")]).optional(),
    message: z.string().optional(),
  }),
  z.object({ type: z.literal("unreachable"), enabled: z.boolean(), mode: z.enum(["status", "drop"]).optional() }),
  z.object({ type: z.literal("dropWatches") }),
]);

/** One failure injection, as posted to the admin endpoint. */
export type FailureRequest = z.infer<typeof failureRequestSchema>;

const readinessDelaySchema = z.object({ readinessDelayMs: z.number().nonnegative() });

/**
 * Serves the admin endpoints under `/sentra-sim/v1` so other processes (the satellite under
 * test, an e2e script) can inject failures and read timelines. They bypass injected failures.
 *
 * - `GET /info` — name, url, resourceVersion, readinessDelayMs, openWatches
 * - `GET /failures` — the `FailureSnapshot`; `POST /failures` — inject one (`FailureRequest`);
 *   `DELETE /failures` — clear all
 * - `GET /timeline?namespace=&name=` — `{ namespace, name, points: ReplicaPoint[] }`
 * - `PUT /readiness-delay` — `{ readinessDelayMs }`
 * - `GET /metrics` — the simulated workloads' metrics for Prometheus (404 without simulated traffic)
 * - `GET /workloads` — `{ workloads: WorkloadServerInfo[] }`, the versions' real HTTP servers (404
 *   without simulated traffic)
 */
export async function handleAdminRequest(
  target: AdminTarget,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const url = new URL(req.url ?? "/", "http://simulated-cluster");
    const route = `${req.method ?? "GET"} ${url.pathname.slice(ADMIN_PATH_PREFIX.length).replace(/\/+$/, "")}`;
    switch (route) {
      case "GET /info":
        sendJson(res, 200, {
          name: target.name,
          url: target.url,
          resourceVersion: String(target.resourceVersion),
          readinessDelayMs: target.readinessDelayMs,
          openWatches: target.openWatchCount,
        });
        return;
      case "GET /failures":
        sendJson(res, 200, target.failures());
        return;
      case "POST /failures": {
        const request = parse(failureRequestSchema, await readJson(req));
        const result = applyFailureRequest(target, request);
        sendJson(res, 201, { applied: result ?? request, failures: target.failures() });
        return;
      }
      case "DELETE /failures":
        target.clearFailures();
        sendJson(res, 200, target.failures());
        return;
      case "GET /timeline": {
        const namespace = url.searchParams.get("namespace");
        const name = url.searchParams.get("name");
        if (!namespace || !name) throw badRequest("timeline needs the namespace and name query parameters");
        sendJson(res, 200, { namespace, name, points: target.timeline(namespace, name) });
        return;
      }
      case "PUT /readiness-delay": {
        const { readinessDelayMs } = parse(readinessDelaySchema, await readJson(req));
        target.setReadinessDelay(readinessDelayMs);
        sendJson(res, 200, { readinessDelayMs: target.readinessDelayMs });
        return;
      }
      case "GET /workloads": {
        const workloads = target.workloadServers();
        if (!workloads) throw new StatusError(404, "this simulated cluster runs no simulated traffic");
        sendJson(res, 200, { workloads });
        return;
      }
      case "GET /metrics": {
        const metrics = await target.metrics();
        if (!metrics) throw new StatusError(404, "this simulated cluster runs no simulated traffic");
        res.writeHead(200, { "content-type": metrics.contentType });
        res.end(metrics.text);
        return;
      }
      default:
        throw new StatusError(404, `no admin endpoint ${route} (see ${ADMIN_PATH_PREFIX}/info)`);
    }
  } catch (error: unknown) {
    const status =
      error instanceof StatusError
        ? error.toStatus()
        : failureStatus(400, error instanceof Error ? error.message : String(error), "BadRequest");
    sendJson(res, status.code, status);
  }
}

/** Applies one failure request to a target; returns what the target reported, if anything. */
export function applyFailureRequest(target: AdminTarget, request: FailureRequest): unknown {
  switch (request.type) {
    case "failReadiness":
      return target.failReadiness(request.namespace, request.name, request.maxReady);
    case "clearReadiness":
      target.clearReadinessFailures(request.namespace, request.name);
      return undefined;
    case "failRequests": {
      const { type: _type, ...rule } = request;
      return target.failRequests(rule);
    }
    case "unreachable":
      target.unreachable(request.enabled ? (request.mode ?? "status") : false);
      return undefined;
    case "dropWatches":
      target.dropWatches();
      return undefined;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    throw badRequest(
      `the request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw badRequest(
      result.error.issues.map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`).join("; "),
    );
  }
  return result.data;
}
