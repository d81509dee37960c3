export { type RunningProcess, type StartProcessOptions, startProcess } from "./child-process.js";
export { eventually } from "./eventually.js";
export { type HaproxyOptions, type HaproxyServer, type RunningHaproxy, startHaproxy } from "./haproxy.js";
export { helmBinary } from "./helm-binary.js";
export { type LoadGeneratorOptions, type RunningLoadGenerator, startLoadGenerator } from "./load-generator.js";
export { type NatsServerOptions, type RunningNatsServer, startNatsServer } from "./nats-server.js";
export { type NginxOptions, type NginxServer, type RunningNginx, startNginx } from "./nginx.js";
export { freePort, type PrometheusOptions, type RunningPrometheus, startPrometheus } from "./prometheus.js";
export { isReachable } from "./reachability.js";
export { REPO_ROOT, sharedDataDir } from "./repo-paths.js";
export {
  SERVICE_ACCOUNT_MOUNT_PATH,
  type ServiceAccountFiles,
  writeServiceAccountFiles,
} from "./service-account-files.js";
export { provisionServices, requireDebianBinary } from "./service-provisioner.js";
export { type ServiceUrls, serviceUrlsFromEnv } from "./service-urls.js";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
export { createTestNamespace, type TestNamespace } from "./test-namespace.js";
export { createTestPki, getTestPki, type TestPki, type TlsEnvironment } from "./test-pki.js";
