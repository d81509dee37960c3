/** Labels that mark a Deployment as part of Sentra itself (the charts set the first two). */
export const SENTRA_PART_OF_LABEL = "app.kubernetes.io/part-of";
/** The label the satellite chart puts on the satellite's own objects. */
export const SENTRA_SATELLITE_LABEL = "sentra.io/satellite";
/** `app.kubernetes.io/name` values of Sentra's own charts. */
const SENTRA_APP_NAMES: readonly string[] = ["sentra-coordinator", "sentra-satellite"];

/** What protection needs to know about a Deployment. */
export interface ProtectionSubject {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string | undefined>>;
}

/**
 * Why Sentra must never move this workload, or null. Kubernetes' own namespaces (`kube-system`,
 * every `kube-*`) and Sentra's own Deployments (labelled `app.kubernetes.io/part-of: sentra`,
 * carrying `sentra.io/satellite`, or named by the charts `sentra-coordinator` / `sentra-satellite`):
 * scaling them to 0 in one cluster would take that cluster's control plane add-ons or Sentra's
 * own view of it down. Neither automatic nor manual migration moves them.
 */
export function protectedWorkloadReason(subject: ProtectionSubject): string | null {
  if (subject.namespace === "kube-system" || subject.namespace.startsWith("kube-")) {
    return `namespace ${subject.namespace} belongs to Kubernetes itself`;
  }
  if (subject.labels[SENTRA_PART_OF_LABEL] === "sentra") {
    return `it is part of Sentra (label ${SENTRA_PART_OF_LABEL}=sentra)`;
  }
  if (subject.labels[SENTRA_SATELLITE_LABEL] !== undefined) {
    return `it is a Sentra satellite (label ${SENTRA_SATELLITE_LABEL})`;
  }
  const appName = subject.labels["app.kubernetes.io/name"];
  if (appName !== undefined && SENTRA_APP_NAMES.includes(appName)) {
    return `it is Sentra's own ${appName} (label app.kubernetes.io/name)`;
  }
  return null;
}
