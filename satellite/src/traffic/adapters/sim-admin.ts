import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { RequestFailureRule } from "../../cluster/sim/failure-injector.js";
import { readBody } from "../../cluster/sim/http-json.js";

/** Prefix of a simulated cloud API's own control paths (no Google or Azure API uses it). */
export const SIM_ADMIN_PREFIX = "/sentra-sim/v1";

/** Body of `POST /sentra-sim/v1/behaviour`: how one version answers from now on. */
export const simBehaviourSchema = z.strictObject({
  /** The `service` label: Cloud Run service, container app or Function App. */
  service: z.string().min(1),
  version: z.string().min(1),
  errorRate: z.number().min(0).max(1).optional(),
  latencyMs: z.number().min(0).max(60_000).optional(),
});

/** A failure rule of `POST /sentra-sim/v1/controls` (`FailureInjector.failRequests`). */
export const failRequestsControlSchema = z.strictObject({
  type: z.literal("failRequests"),
  method: z.string().min(1).optional(),
  pathPattern: z.string().min(1).optional(),
  status: z.number().int().min(400).max(599),
  times: z.union([z.number().int().positive(), z.literal("always")]).optional(),
  message: z.string().optional(),
});

/** The failure rule of a `failRequests` control, without the fields it leaves out. */
export function failureRule(control: z.infer<typeof failRequestsControlSchema>): RequestFailureRule {
  const rule: RequestFailureRule = { status: control.status };
  if (control.method !== undefined) rule.method = control.method;
  if (control.pathPattern !== undefined) rule.pathPattern = control.pathPattern;
  if (control.times !== undefined) rule.times = control.times;
  if (control.message !== undefined) rule.message = control.message;
  return rule;
}

/** What the admin paths drive on one simulated API. */
export interface SimAdminTarget<Control> {
  /** Validates a control body beyond `failRequests` and `reset` (a sim's own controls). */
  readonly controlSchema: z.ZodType<Control>;
  state(): unknown;
  setBehaviour(behaviour: z.infer<typeof simBehaviourSchema>): void;
  /** Applies a control; throws an Error whose message says what is wrong. */
  control(control: Control): void;
}

/**
 * Serves a simulated API's control paths so a person or a test can steer a standalone simulator
 * over HTTP: `GET state`, `POST behaviour` (a version's error rate and latency), `POST controls`
 * (the sim's failures and its own controls), answering 400 naming the field for a bad body.
 * @returns false when the path is not under {@link SIM_ADMIN_PREFIX}
 */
export async function handleSimAdmin<Control>(
  target: SimAdminTarget<Control>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  if (!path.startsWith(`${SIM_ADMIN_PREFIX}/`)) return false;
  const send = (status: number, body: unknown) =>
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const route = `${request.method ?? "GET"} ${path.slice(SIM_ADMIN_PREFIX.length)}`;
  try {
    if (route === "GET /state") {
      send(200, target.state());
      return true;
    }
    if (route === "POST /behaviour" || route === "POST /controls") {
      const text = await readBody(request);
      let body: unknown;
      try {
        body = JSON.parse(text || "{}");
      } catch {
        send(400, { error: "body: not JSON" });
        return true;
      }
      const schema = route === "POST /behaviour" ? simBehaviourSchema : target.controlSchema;
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        send(400, {
          error: parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; "),
        });
        return true;
      }
      if (route === "POST /behaviour") target.setBehaviour(parsed.data as z.infer<typeof simBehaviourSchema>);
      else target.control(parsed.data as Control);
      send(200, target.state());
      return true;
    }
    send(404, { error: `${route} is not a control path (GET state, POST behaviour, POST controls)` });
  } catch (error) {
    send(400, { error: error instanceof Error ? error.message : String(error) });
  }
  return true;
}
