export { type RunningProcess, startProcess } from "./child-process.js";
export { eventually } from "./eventually.js";
export { type RunningNatsServer, startNatsServer } from "./nats-server.js";
export { freePort, type PrometheusOptions, type RunningPrometheus, startPrometheus } from "./prometheus.js";
export { isReachable } from "./reachability.js";
export { REPO_ROOT, sharedDataDir } from "./repo-paths.js";
export { provisionServices } from "./service-provisioner.js";
export { type ServiceUrls, serviceUrlsFromEnv } from "./service-urls.js";
export { createTestNamespace, type TestNamespace } from "./test-namespace.js";
