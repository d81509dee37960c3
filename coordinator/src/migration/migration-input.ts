import { DNS_LABEL, SentraError } from "@sentra/common";
import { MAX_IDEMPOTENCY_KEY_LENGTH, SATELLITE_ID_PATTERN } from "@sentra/proto";
import { z } from "zod";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const TARGET_REGION = /^((aws|gcp|azure):)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const required = (what: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? "is required" : `must be ${what}`),
});

const workloadRef = z.object(
  {
    satelliteId: z
      .string(required("a string"))
      .regex(SATELLITE_ID_PATTERN, "must be a satellite id (lowercase letters, digits, - and _, at most 63)"),
    cluster: z.string().max(253, "must be at most 253 characters").default(""),
    namespace: z
      .string(required("a string"))
      .max(63, "must be at most 63 characters")
      .regex(DNS_LABEL, "must be a Kubernetes namespace (lowercase letters, digits and -)"),
    name: z
      .string(required("a string"))
      .max(253, "must be at most 253 characters")
      .regex(DNS_SUBDOMAIN, "must be a Kubernetes object name (lowercase letters, digits, - and .)"),
  },
  required("an object { satelliteId, cluster, namespace, name }"),
);

const targetRegion = z
  .string()
  .regex(TARGET_REGION, 'must be a region ("eu-west-1") or cloud:region ("aws:eu-west-1")')
  .optional();

/** A dry-run request (PlanMigration; REST `POST /api/v1/migrations/plan`). */
export const planInputSchema = z.object({ workload: workloadRef, targetRegion });

/** A migrate request (Migrate; REST `POST /api/v1/migrations`). */
export const migrateInputSchema = planInputSchema.extend({
  idempotencyKey: z
    .string(required("a string"))
    .min(1, "is required")
    .max(MAX_IDEMPOTENCY_KEY_LENGTH, `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
  requestedBy: z.string().max(128, "must be at most 128 characters").optional(),
});

export type PlanInput = z.output<typeof planInputSchema>;
export type MigrateInput = z.output<typeof migrateInputSchema>;

/**
 * Field names in errors follow the edge: REST bodies use JSON names (`workload.satelliteId`),
 * gRPC uses the proto field names (`workload.satellite_id`).
 */
export type FieldStyle = "json" | "proto";

const snakeCase = (segment: string): string => segment.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** A field path in the given style. */
export function fieldPath(path: readonly PropertyKey[], style: FieldStyle): string {
  return path.map((segment) => (style === "proto" ? snakeCase(String(segment)) : String(segment))).join(".");
}

/**
 * Validates a request; INVALID_ARGUMENT naming the first bad field (every problem is listed in the
 * message and in `details.problems`). Empty strings count as absent for optional fields, as in proto3.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, style: FieldStyle): z.output<S> {
  const result = schema.safeParse(style === "proto" ? emptyAsAbsent(value) : value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    field: fieldPath(issue.path, style) || "(body)",
    problem: issue.message,
  }));
  const first = problems[0] as { field: string; problem: string };
  throw new SentraError("INVALID_ARGUMENT", problems.map((p) => `${p.field}: ${p.problem}`).join("; "), {
    field: first.field,
    details: { problems },
  });
}

function emptyAsAbsent(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === "$typeName" || field === "") continue;
    result[key] = emptyAsAbsent(field);
  }
  return result;
}
