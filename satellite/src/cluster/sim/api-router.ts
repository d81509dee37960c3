import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { apiGroup, apiGroupList, apiResourceList, coreApiVersions, versionInfo } from "./discovery.js";
import type { FailureInjector } from "./failure-injector.js";
import { mediaType, readBody, sendJson, sendText } from "./http-json.js";
import { isPlainObject, type KubeObject } from "./kube-object.js";
import { apiVersionOf, type ResourceKind, type ResourceRegistry } from "./resource-kind.js";
import type { DeletePreconditions, PatchType, ResourceService } from "./resource-service.js";
import { badRequest, failureStatus, reasonForCode, StatusError } from "./status-error.js";
import { toTable } from "./table.js";

/** What the API router needs from its cluster. */
export interface ApiRouterOptions {
  readonly service: ResourceService;
  readonly registry: ResourceRegistry;
  readonly failures: FailureInjector;
  /** `host:port` the server is reachable at (reported by `GET /api`). */
  serverAddress(): string;
  /** The bearer token every API request must carry (401 otherwise); undefined accepts any or none. */
  readonly requiredToken?: string;
}

/** A resource request, parsed from its path. */
interface ResourcePath {
  kind: ResourceKind;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
};

/** The API server's health endpoints (open without a token, as `system:public-info-viewer` makes them). */
const HEALTH_PATHS: ReadonlySet<string> = new Set(["/healthz", "/livez", "/readyz"]);

/**
 * Serves the Kubernetes REST API subset: discovery, health, and the verbs of every registered
 * kind under `/api/v1/...` and `/apis/{group}/{version}/...`, including chunked watches.
 * Injected failures are applied first. Every error leaves as a `Status` JSON body.
 */
export class ApiRouter {
  readonly #options: ApiRouterOptions;
  /** Open watch streams and the function that detaches each from the store. */
  readonly #watches = new Map<ServerResponse, () => void>();

  constructor(options: ApiRouterOptions) {
    this.#options = options;
  }

  /** Open watch streams. */
  get openWatchCount(): number {
    return this.#watches.size;
  }

  /**
   * Ends every open watch stream: `"end"` finishes the chunked response cleanly (the client sees
   * the server close it and re-watches), `"destroy"` cuts the connection.
   */
  closeWatches(how: "end" | "destroy" = "end"): void {
    for (const [res, detach] of [...this.#watches]) {
      // Detach first: `close` fires later, and a write after `end` would throw.
      detach();
      if (how === "end") res.end();
      else res.destroy();
    }
  }

  /** Handles one API request; never rejects. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://simulated-cluster");
    const method = req.method ?? "GET";
    const failures = this.#options.failures;
    if (failures.unreachable === "drop") {
      req.socket.destroy();
      return;
    }
    if (failures.unreachable === "status") {
      sendJson(res, 503, failureStatus(503, "the simulated cluster is unreachable (injected failure)"));
      return;
    }
    if (!this.#authorized(req, url.pathname)) {
      req.resume();
      sendJson(res, 401, failureStatus(401, "Unauthorized", "Unauthorized"));
      return;
    }
    const injected = failures.take(method, url.pathname);
    if (injected) {
      // Drain the body so keep-alive connections stay usable after the error.
      req.resume();
      sendJson(res, injected.status, failureStatus(injected.status, injected.message, reasonForCode(injected.status)));
      return;
    }
    try {
      await this.#route(req, res, url, method);
    } catch (error: unknown) {
      const status =
        error instanceof StatusError
          ? error.toStatus()
          : failureStatus(500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
      if (res.headersSent) res.destroy();
      else sendJson(res, status.code, status);
    }
  }

  /** As an API server's default: health endpoints are open to anyone, the API needs the token. */
  #authorized(req: IncomingMessage, path: string): boolean {
    const token = this.#options.requiredToken;
    if (token === undefined || HEALTH_PATHS.has(path.replace(/\/+$/, ""))) return true;
    return req.headers.authorization === `Bearer ${token}`;
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const segments = path
      .split("/")
      .filter((s) => s.length > 0)
      .map(decodeURIComponent);
    if (HEALTH_PATHS.has(path)) {
      sendText(res, 200, "ok");
      return;
    }
    const discovery = method === "GET" ? this.#discovery(segments) : undefined;
    if (discovery) {
      sendJson(res, 200, discovery);
      return;
    }
    const resourcePath = this.#parseResourcePath(segments);
    if (!resourcePath) {
      // Includes /openapi/v2 and /openapi/v3: kubectl falls back to discovery without them.
      throw new StatusError(404, `the server could not find the requested resource (${method} ${path})`, "NotFound");
    }
    await this.#serveResource(req, res, url, method, resourcePath);
  }

  #discovery(segments: string[]): unknown {
    const { registry } = this.#options;
    const [root, first, second, third] = segments;
    if (root === "version" && first === undefined) return versionInfo();
    if (root === "api" && first === undefined) return coreApiVersions(this.#options.serverAddress());
    if (root === "api" && first !== undefined && second === undefined) return apiResourceList(registry, "", first);
    if (root === "apis" && first === undefined) return apiGroupList(registry);
    if (root === "apis" && first !== undefined && second === undefined) return apiGroup(registry, first);
    if (root === "apis" && first !== undefined && second !== undefined && third === undefined) {
      return apiResourceList(registry, first, second);
    }
    return undefined;
  }

  #parseResourcePath(segments: string[]): ResourcePath | undefined {
    const [root, ...tail] = segments;
    let group: string | undefined;
    let version: string | undefined;
    let rest: string[];
    if (root === "api") {
      group = "";
      [version, ...rest] = tail;
    } else if (root === "apis") {
      [group, version, ...rest] = tail;
    } else {
      return undefined;
    }
    if (group === undefined || version === undefined || rest.length === 0) return undefined;
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [resource, name, subresource, ...extra] = rest;
    if (resource === undefined || extra.length > 0) return undefined;
    const kind = this.#options.registry.find(group, version, resource);
    if (!kind) {
      throw new StatusError(
        404,
        `the server could not find the requested resource (${apiVersionOf({ group, version })} ${resource})`,
        "NotFound",
      );
    }
    if (!kind.namespaced && namespace !== undefined) return undefined;
    return { kind, namespace, name, subresource };
  }

  async #serveResource(req: IncomingMessage, res: ServerResponse, url: URL, method: string, path: ResourcePath) {
    const { service } = this.#options;
    const { kind, name, subresource } = path;
    const namespace = path.namespace ?? "";
    const query = url.searchParams;
    const dryRun = query.getAll("dryRun").includes("All");
    const table = tableRequest(req.headers.accept, query.get("includeObject"));
    const respond = (code: number, object: KubeObject) => {
      sendJson(res, code, table && !subresource ? toTable(kind, [object], table) : object);
    };

    if (name === undefined) {
      if (method === "GET") {
        const options = {
          namespace: path.namespace,
          labelSelector: query.get("labelSelector") ?? undefined,
          fieldSelector: query.get("fieldSelector") ?? undefined,
        };
        if (query.get("watch") === "true" || query.get("watch") === "1") {
          const initialEvents = query.get("sendInitialEvents") === "true";
          this.#watch(
            res,
            kind,
            {
              ...options,
              // Watch-list (`sendInitialEvents=true`) starts from the current state, like rv 0.
              fromResourceVersion: initialEvents ? undefined : parseResourceVersion(query.get("resourceVersion")),
            },
            { table, initialEvents, timeoutSeconds: parseTimeoutSeconds(query.get("timeoutSeconds")) },
          );
          return;
        }
        const list = service.list(kind, options);
        if (table) {
          sendJson(res, 200, toTable(kind, list.items, { ...table, resourceVersion: list.resourceVersion }));
        } else {
          sendJson(res, 200, {
            kind: `${kind.kind}List`,
            apiVersion: apiVersionOf(kind),
            metadata: { resourceVersion: list.resourceVersion },
            items: list.items,
          });
        }
        return;
      }
      if (method === "POST" && (path.namespace !== undefined || !kind.namespaced)) {
        const created = service.create(kind, namespace, await readObjectBody(req), { dryRun });
        respond(201, created);
        return;
      }
      throw methodNotAllowed(method, kind);
    }

    if (subresource !== undefined) {
      if (method === "GET") sendJson(res, 200, service.getSubresource(kind, subresource, namespace, name));
      else if (method === "PUT") {
        const body = await readObjectBody(req);
        sendJson(res, 200, service.replaceSubresource(kind, subresource, namespace, name, body, { dryRun }));
      } else if (method === "PATCH") {
        const { type, patch } = await readPatchBody(req);
        sendJson(res, 200, service.patchSubresource(kind, subresource, namespace, name, type, patch, { dryRun }));
      } else throw methodNotAllowed(method, kind);
      return;
    }

    switch (method) {
      case "GET":
        respond(200, service.get(kind, namespace, name));
        return;
      case "PUT":
        respond(200, service.replace(kind, namespace, name, await readObjectBody(req), { dryRun }));
        return;
      case "PATCH": {
        const { type, patch } = await readPatchBody(req);
        respond(200, service.patch(kind, namespace, name, type, patch, { dryRun }));
        return;
      }
      case "DELETE": {
        const text = await readBody(req);
        const options = text.trim() ? parseJson(text) : {};
        const preconditions =
          isPlainObject(options) && isPlainObject(options.preconditions) ? options.preconditions : {};
        const deleted = service.delete(kind, namespace, name, preconditions as DeletePreconditions, { dryRun });
        sendJson(res, 200, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: { name, group: kind.group, kind: kind.resource, uid: deleted.metadata.uid },
        });
        return;
      }
      default:
        throw methodNotAllowed(method, kind);
    }
  }

  #watch(
    res: ServerResponse,
    kind: ResourceKind,
    options: Parameters<ResourceService["watch"]>[1],
    stream: { table: TableRequest | undefined; initialEvents: boolean; timeoutSeconds: number | undefined },
  ): void {
    const send = (event: { type: string; object: KubeObject }) => {
      const object = stream.table ? toTable(kind, [event.object], stream.table) : event.object;
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type: event.type, object })}\n`);
    };
    // `watch` may throw 410 before anything is sent, then delivers the replay synchronously:
    // buffer the replay until the 200 headers are out.
    const pending: { type: string; object: KubeObject }[] = [];
    let live = false;
    const stop = this.#options.service.watch(kind, options, (event) => {
      if (live) send(event);
      else pending.push(event);
    });
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Cache-Control": "no-cache, private",
      "Transfer-Encoding": "chunked",
    });
    res.flushHeaders();
    for (const event of pending) send(event);
    if (stream.initialEvents) {
      // The watch-list protocol: a bookmark marks the end of the initial state.
      const bookmark = {
        kind: kind.kind,
        apiVersion: apiVersionOf(kind),
        metadata: {
          resourceVersion: String(this.#options.service.store.resourceVersion),
          annotations: { "k8s.io/initial-events-end": "true" },
        },
      };
      res.write(`${JSON.stringify({ type: "BOOKMARK", object: bookmark })}\n`);
    }
    live = true;
    const timer =
      stream.timeoutSeconds === undefined ? undefined : setTimeout(() => res.end(), stream.timeoutSeconds * 1000);
    const detach = () => {
      stop();
      if (timer) clearTimeout(timer);
      this.#watches.delete(res);
    };
    this.#watches.set(res, detach);
    // Fires when the stream ends on our side or the client goes away.
    res.on("close", detach);
    // A client that vanishes mid-write surfaces as an error on the response; `close` follows.
    res.on("error", () => {});
  }
}

/** Which Table the client asked for through its Accept header, if any. */
interface TableRequest {
  apiVersion: string;
  includeObject?: "None" | "Metadata" | "Object";
}

function tableRequest(accept: string | undefined, includeObject: string | null): TableRequest | undefined {
  for (const range of (accept ?? "").split(",")) {
    const params = new Map(
      range
        .split(";")
        .slice(1)
        .map((param) => param.trim().split("=") as [string, string | undefined]),
    );
    if (params.get("as") === "Table" && params.get("g") === "meta.k8s.io") {
      const version = params.get("v") === "v1beta1" ? "v1beta1" : "v1";
      const include = includeObject === "None" || includeObject === "Object" ? includeObject : "Metadata";
      return { apiVersion: `meta.k8s.io/${version}`, includeObject: include };
    }
  }
  return undefined;
}

function parseResourceVersion(value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`invalid resource version "${value}"`);
  return Number(value);
}

function parseTimeoutSeconds(value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) throw badRequest(`invalid timeoutSeconds "${value}"`);
  return seconds === 0 ? undefined : seconds;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    throw badRequest(
      `the request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}

async function readObjectBody(req: IncomingMessage): Promise<unknown> {
  const type = mediaType(req.headers["content-type"]);
  const text = await readBody(req);
  if (type === "" || type === "application/json" || type === "*/*") return parseJson(text);
  if (type === "application/yaml" || type === "application/x-yaml") {
    try {
      return parseYaml(text) as unknown;
    } catch (error: unknown) {
      throw badRequest(
        `the request body is not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    }
  }
  throw new StatusError(
    415,
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
  );
}

async function readPatchBody(req: IncomingMessage): Promise<{ type: PatchType; patch: unknown }> {
  const contentType = mediaType(req.headers["content-type"]);
  const type = PATCH_TYPES[contentType];
  const text = await readBody(req);
  if (!type) {
    throw new StatusError(
      415,
      `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(", ")} (server-side apply is not simulated)`,
    );
  }
  return { type, patch: parseJson(text) };
}

function methodNotAllowed(method: string, kind: ResourceKind): StatusError {
  return new StatusError(
    405,
    `the server does not allow this method on the requested resource (${method} ${kind.resource})`,
    "MethodNotAllowed",
  );
}
