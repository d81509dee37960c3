/**
 * Kubernetes' DNS-1123 label (namespaces, Deployment and Service name parts), without its 63-character
 * limit, which each caller checks with its own message. One definition for every input that names one.
 */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
