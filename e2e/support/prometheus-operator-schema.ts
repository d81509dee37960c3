/** Kinds of prometheus-operator the charts render, by `<apiVersion> <kind>`, and their model. */
export const PROMETHEUS_OPERATOR_KINDS: Readonly<Record<string, string>> = {
  "monitoring.coreos.com/v1 ServiceMonitor": "MonitoringV1ServiceMonitor",
};

/**
 * The fields of prometheus-operator's ServiceMonitor (monitoring.coreos.com/v1) that the charts
 * render, in the shape of @kubernetes/client-node's `attributeTypeMap` so the same walk checks
 * them. @kubernetes/client-node has no model for custom resources; this list is written from the
 * operator's CRD (API reference: prometheus-operator.dev/docs/api-reference/api) and holds only
 * what the charts use — a field the charts start to render must be added here first, or the
 * validator reports it as unknown.
 */
export const PROMETHEUS_OPERATOR_MODELS: Readonly<Record<string, readonly { baseName: string; type: string }[]>> = {
  MonitoringV1ServiceMonitor: [
    { baseName: "apiVersion", type: "string" },
    { baseName: "kind", type: "string" },
    { baseName: "metadata", type: "V1ObjectMeta" },
    { baseName: "spec", type: "MonitoringV1ServiceMonitorSpec" },
  ],
  MonitoringV1ServiceMonitorSpec: [
    { baseName: "jobLabel", type: "string" },
    { baseName: "selector", type: "V1LabelSelector" },
    { baseName: "namespaceSelector", type: "MonitoringV1NamespaceSelector" },
    { baseName: "endpoints", type: "Array<MonitoringV1Endpoint>" },
  ],
  MonitoringV1NamespaceSelector: [
    { baseName: "any", type: "boolean" },
    { baseName: "matchNames", type: "Array<string>" },
  ],
  MonitoringV1Endpoint: [
    // The name of a Service port (the operator also takes targetPort, which the charts do not use).
    { baseName: "port", type: "string" },
    { baseName: "path", type: "string" },
    { baseName: "scheme", type: "string" },
    // Prometheus durations such as "30s".
    { baseName: "interval", type: "string" },
    { baseName: "scrapeTimeout", type: "string" },
    { baseName: "honorLabels", type: "boolean" },
    { baseName: "tlsConfig", type: "MonitoringV1TLSConfig" },
  ],
  MonitoringV1TLSConfig: [
    { baseName: "ca", type: "MonitoringV1SecretOrConfigMap" },
    { baseName: "serverName", type: "string" },
    { baseName: "insecureSkipVerify", type: "boolean" },
  ],
  MonitoringV1SecretOrConfigMap: [
    { baseName: "secret", type: "V1SecretKeySelector" },
    { baseName: "configMap", type: "V1ConfigMapKeySelector" },
  ],
};
