import { DNS_LABEL } from "@sentra/common";
import type { CustomResourceRef } from "../cluster/kube-cluster.js";
import { TRAFFIC_ROUTER_NAMES } from "../traffic/traffic-binding.js";

/**
 * The `ReleasePolicy` custom resource (`sentra.io/v1alpha1`): the one definition of its names,
 * schema and `kubectl get` columns. The chart's CRD file is this, as YAML (a test keeps them
 * equal), and the simulated cluster serves the kind from it.
 */
export const RELEASE_POLICY_GROUP = "sentra.io";
export const RELEASE_POLICY_VERSION = "v1alpha1";
export const RELEASE_POLICY_KIND = "ReleasePolicy";
export const RELEASE_POLICY_PLURAL = "releasepolicies";
export const RELEASE_POLICY_SINGULAR = "releasepolicy";
export const RELEASE_POLICY_SHORT_NAMES = ["rp"] as const;

export const RELEASE_POLICY_RESOURCE: CustomResourceRef = Object.freeze({
  group: RELEASE_POLICY_GROUP,
  version: RELEASE_POLICY_VERSION,
  plural: RELEASE_POLICY_PLURAL,
});

/** A CRD's `additionalPrinterColumns` entry (jsonPath: a dotted path from the object root). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "integer" | "number" | "boolean" | "date";
  readonly jsonPath: string;
  readonly description: string;
  readonly priority?: number;
}

export const RELEASE_POLICY_PRINTER_COLUMNS: readonly PrinterColumn[] = [
  {
    name: "Target",
    type: "string",
    jsonPath: ".spec.targetRef.name",
    description: "the Deployment whose pod template is released",
  },
  { name: "Phase", type: "string", jsonPath: ".status.phase", description: "where the release is" },
  { name: "Weight", type: "integer", jsonPath: ".status.canaryWeight", description: "canary traffic share, percent" },
  { name: "Step", type: "string", jsonPath: ".status.step", description: "step of the rollout, e.g. 2/5" },
  {
    name: "Decision",
    type: "string",
    jsonPath: ".status.lastDecision",
    description: "the release guard's last decision",
  },
  {
    name: "Stable",
    type: "string",
    jsonPath: ".status.stableSlot",
    description: "the slot serving the stable template",
    priority: 1,
  },
  {
    name: "Rollout",
    type: "string",
    jsonPath: ".status.rolloutId",
    description: "the rollout in flight or last run",
    priority: 1,
  },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "" },
];

/** The CustomResourceDefinition manifest (apiextensions.k8s.io/v1). */
export function releasePolicyCrd(): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${RELEASE_POLICY_PLURAL}.${RELEASE_POLICY_GROUP}` },
    spec: {
      group: RELEASE_POLICY_GROUP,
      scope: "Namespaced",
      names: {
        kind: RELEASE_POLICY_KIND,
        listKind: `${RELEASE_POLICY_KIND}List`,
        plural: RELEASE_POLICY_PLURAL,
        singular: RELEASE_POLICY_SINGULAR,
        shortNames: [...RELEASE_POLICY_SHORT_NAMES],
        categories: ["sentra"],
      },
      versions: [
        {
          name: RELEASE_POLICY_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: RELEASE_POLICY_PRINTER_COLUMNS.map((column) => ({ ...column })),
          schema: {
            openAPIV3Schema: {
              type: "object",
              description:
                "Guards every change of a Deployment's pod template with a Sentra rollout: the satellite copies the new template into the other slot Deployment (<service>-blue / <service>-green) and moves traffic to it step by step while the gates pass.",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: {
                  type: "object",
                  required: ["targetRef"],
                  properties: {
                    targetRef: {
                      type: "object",
                      description: "The Deployment your GitOps tool syncs; its pod template is what gets released.",
                      required: ["name"],
                      properties: {
                        apiVersion: { type: "string", enum: ["apps/v1"] },
                        kind: { type: "string", enum: ["Deployment"] },
                        name: { type: "string", pattern: DNS_LABEL.source, maxLength: 63 },
                      },
                    },
                    service: {
                      type: "string",
                      pattern: DNS_LABEL.source,
                      maxLength: 56,
                      description:
                        "Name the slots are derived from (<service>-blue, <service>-green); default: targetRef.name.",
                    },
                    policy: {
                      type: "object",
                      "x-kubernetes-preserve-unknown-fields": true,
                      description:
                        "The rollout policy (docs/release-guard.md), as YAML under this key; default: the satellite's defaults.",
                    },
                    trafficRouter: { type: "string", enum: [...TRAFFIC_ROUTER_NAMES] },
                    routeName: {
                      type: "string",
                      description: "HTTPRoute / VirtualService / Ingress name; default: service.",
                    },
                    replicas: {
                      type: "integer",
                      minimum: 1,
                      description: "Replicas of each slot; default: the target's.",
                    },
                    suspend: { type: "boolean", description: "Stop starting rollouts (one in flight goes on)." },
                  },
                },
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
        },
      ],
    },
  };
}
