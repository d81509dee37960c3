/** A rule making the next matching API requests fail. */
export interface RequestFailureRule {
  /** HTTP method to match (case-insensitive); any when absent. */
  method?: string;
  /** Regular expression tested against the request path (no query string); any path when absent. */
  pathPattern?: string | RegExp;
  /** HTTP status to answer with (a Kubernetes `Status` body carries the matching reason). */
  status: number;
  /** How many matching requests fail. @default 1 */
  times?: number | "always";
  /** Message of the `Status` body. @default "injected failure" */
  message?: string;
}

/** An active request failure rule, as reported by `FailureInjector.snapshot`. */
export interface RequestFailure {
  readonly id: number;
  readonly method?: string;
  readonly pathPattern?: string;
  readonly status: number;
  readonly remaining: number | "always";
  readonly message: string;
}

/**
 * How an unreachable cluster behaves: `"status"` answers every API request with 503 (a load
 * balancer in front of a dead API server), `"drop"` destroys the connection without an answer.
 */
export type UnreachableMode = "status" | "drop";

interface ActiveRule {
  id: number;
  method: string | undefined;
  pattern: RegExp | undefined;
  status: number;
  remaining: number | "always";
  message: string;
}

/**
 * Holds the request-level failures injected into a simulated cluster: failing the next N
 * matching requests and making the whole API unreachable. The API router consults it before
 * serving each request; the admin endpoints are never affected, so a test can always undo them.
 */
export class FailureInjector {
  readonly #rules: ActiveRule[] = [];
  #nextId = 1;
  #unreachable: UnreachableMode | undefined;

  /** Adds a rule; rules are tried in the order they were added. Throws on an invalid pattern or status. */
  failRequests(rule: RequestFailureRule): RequestFailure {
    if (!Number.isInteger(rule.status) || rule.status < 400 || rule.status > 599) {
      throw new RangeError(`status must be an HTTP error code (400-599), got ${rule.status}`);
    }
    const times = rule.times ?? 1;
    if (times !== "always" && (!Number.isInteger(times) || times < 1)) {
      throw new RangeError(`times must be a positive integer or "always", got ${String(times)}`);
    }
    const active: ActiveRule = {
      id: this.#nextId++,
      method: rule.method?.toUpperCase(),
      pattern: rule.pathPattern === undefined ? undefined : new RegExp(rule.pathPattern),
      status: rule.status,
      remaining: times,
      message: rule.message ?? "injected failure",
    };
    this.#rules.push(active);
    return describe(active);
  }

  /** Makes every API request fail (`true` = `"status"` mode) or restores service (`false`). */
  setUnreachable(unreachable: boolean | UnreachableMode): void {
    this.#unreachable = unreachable === true ? "status" : unreachable === false ? undefined : unreachable;
  }

  /** The unreachable mode in force, if any. */
  get unreachable(): UnreachableMode | undefined {
    return this.#unreachable;
  }

  /** Finds the first rule matching a request and consumes one use of it. */
  take(method: string, path: string): RequestFailure | undefined {
    const upper = method.toUpperCase();
    const index = this.#rules.findIndex(
      (rule) => (rule.method === undefined || rule.method === upper) && (rule.pattern?.test(path) ?? true),
    );
    const rule = this.#rules[index];
    if (!rule) return undefined;
    if (rule.remaining !== "always") {
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.#rules.splice(index, 1);
    }
    return describe(rule);
  }

  /** Removes every request failure rule and restores reachability. */
  clear(): void {
    this.#rules.length = 0;
    this.#unreachable = undefined;
  }

  /** Active rules and the unreachable mode. */
  snapshot(): { requestFailures: RequestFailure[]; unreachable: UnreachableMode | null } {
    return { requestFailures: this.#rules.map(describe), unreachable: this.#unreachable ?? null };
  }
}

function describe(rule: ActiveRule): RequestFailure {
  const failure: { -readonly [K in keyof RequestFailure]: RequestFailure[K] } = {
    id: rule.id,
    status: rule.status,
    remaining: rule.remaining,
    message: rule.message,
  };
  if (rule.method) failure.method = rule.method;
  if (rule.pattern) failure.pathPattern = rule.pattern.source;
  return failure;
}
