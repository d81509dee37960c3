import { AWS_ALB_ADAPTER } from "./aws-alb/aws-alb-adapter.js";
import { AWS_LAMBDA_ADAPTER } from "./aws-lambda/aws-lambda-adapter.js";
import { CONTAINER_APPS_ADAPTER } from "./azure-container-apps/container-apps-adapter.js";
import { FUNCTION_APP_ADAPTER } from "./azure-functions/function-app-adapter.js";
import { CLOUD_RUN_ADAPTER } from "./gcp-cloud-run/cloud-run-adapter.js";
import { HAPROXY_ADAPTER } from "./haproxy/haproxy-adapter.js";
import { NGINX_UPSTREAM_ADAPTER } from "./nginx-upstream/nginx-upstream-adapter.js";
import type { RouterAdapterDefinition } from "./router-adapter.js";

/**
 * Every router adapter a rollout policy can name in `router.adapter`, one entry per runtime. Adding a
 * runtime is one import and one entry here; the policy reader and the satellite take the list from
 * this array, so nothing else has to learn the new name.
 */
export const ROUTER_ADAPTER_DEFINITIONS: readonly RouterAdapterDefinition<{ readonly adapter: string }>[] = [
  AWS_LAMBDA_ADAPTER,
  AWS_ALB_ADAPTER,
  CLOUD_RUN_ADAPTER,
  CONTAINER_APPS_ADAPTER,
  FUNCTION_APP_ADAPTER,
  HAPROXY_ADAPTER,
  NGINX_UPSTREAM_ADAPTER,
];
