import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { VersionBehaviour } from "../weighted-version-traffic.js";
import { type AwsSimControls, readBody } from "./aws-sim-controls.js";

/** Prefix of a simulated AWS endpoint's own paths, beside the AWS API (no AWS API uses it). */
export const AWS_SIM_ADMIN_PREFIX = "/sentra-sim/v1";

/** Body of `POST /sentra-sim/v1/controls`: one change of the injected failures or IAM denials. */
export const awsSimControlSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("failRequests"),
    /** Regular expression over the operation key (`^UpdateAlias conditional checkout:live$`). */
    pathPattern: z.string().optional(),
    status: z.number().int().min(400).max(599),
    times: z.union([z.number().int().positive(), z.literal("always")]).optional(),
    message: z.string().optional(),
  }),
  z.strictObject({ type: z.literal("deny"), actions: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ type: z.literal("reset") }),
]);

/** Body of `POST /sentra-sim/v1/behaviour`: which version, and how it answers from now on. */
export const awsSimBehaviourSchema = z.strictObject({
  /** Lambda: the function name; ELBv2: the target group ARN. */
  target: z.string().min(1),
  /** Lambda only: the version. */
  version: z.string().min(1).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  latencyMs: z.number().min(0).max(60_000).optional(),
});

/** What the admin paths drive on one simulated endpoint. */
export interface AwsSimAdminTarget {
  readonly controls: AwsSimControls;
  /** Applies a behaviour; throws an Error whose message says what is wrong. */
  setBehaviour(target: string, version: string | undefined, behaviour: VersionBehaviour): void;
  /** The simulated resources as JSON (aliases and their routing, listeners and their weights). */
  state(): unknown;
}

/**
 * Serves a simulated AWS endpoint's admin paths, so a test or a person can steer a standalone
 * simulator (`cloud-sim/aws/main.ts`) over HTTP: `GET state`, `POST behaviour` (a version's error
 * rate and latency), `POST controls` (inject failures, deny IAM actions, reset), `GET controls`
 * (the active failure rules). Answers 400 naming the field for a bad body, 404 for another path.
 * @returns false when the path is not an admin path (the caller serves it as the AWS API)
 */
export async function handleAwsSimAdmin(
  target: AwsSimAdminTarget,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  if (!path.startsWith(`${AWS_SIM_ADMIN_PREFIX}/`)) return false;
  const route = `${request.method ?? "GET"} ${path.slice(AWS_SIM_ADMIN_PREFIX.length)}`;
  const send = (status: number, body: unknown) =>
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  try {
    switch (route) {
      case "GET /state":
        request.resume();
        send(200, target.state());
        return true;
      case "GET /controls":
        request.resume();
        send(200, target.controls.failures.snapshot());
        return true;
      case "POST /controls": {
        const control = awsSimControlSchema.parse(JSON.parse(await readBody(request)));
        if (control.type === "reset") target.controls.reset();
        else if (control.type === "deny") target.controls.deny(...control.actions);
        else {
          const { type: _type, ...rule } = control;
          send(200, target.controls.failures.failRequests(rule));
          return true;
        }
        send(200, { ok: true });
        return true;
      }
      case "POST /behaviour": {
        const body = awsSimBehaviourSchema.parse(JSON.parse(await readBody(request)));
        target.setBehaviour(body.target, body.version, {
          ...(body.errorRate === undefined ? {} : { errorRate: body.errorRate }),
          ...(body.latencyMs === undefined ? {} : { latencyMs: body.latencyMs }),
        });
        send(200, { ok: true });
        return true;
      }
      default:
        request.resume();
        send(404, { message: `no simulator path ${route}` });
        return true;
    }
  } catch (error: unknown) {
    const message =
      error instanceof z.ZodError
        ? error.issues.map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`).join("; ")
        : error instanceof Error
          ? error.message
          : String(error);
    send(400, { message });
    return true;
  }
}
