import { z } from "zod";
import { resourceGroupSchema, subscriptionIdSchema } from "../azure/azure-target-fields.js";

/** Adapter name a rollout policy gives in `router.adapter`. */
export const CONTAINER_APPS_ADAPTER_NAME = "azure-container-apps";

/** A container app name: 2–32 lower-case letters, digits and `-`, starting with a letter, no `--`. */
const CONTAINER_APP_NAME = /^(?!.*--)[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

/**
 * The policy's `router:` section for Azure Container Apps: which app's revisions the rollout
 * splits. The stable and canary revisions are `<containerApp>--<version>` (what
 * `az containerapp update --revision-suffix <version>` names them).
 */
export const containerAppsTargetSchema = z
  .object({
    adapter: z.literal(CONTAINER_APPS_ADAPTER_NAME),
    subscriptionId: subscriptionIdSchema,
    resourceGroup: resourceGroupSchema,
    containerApp: z
      .string()
      .regex(CONTAINER_APP_NAME, "must be a container app name (2-32 lower-case letters, digits, -; no --)"),
  })
  .strict();

/** A validated Container Apps target. */
export type ContainerAppsTarget = z.infer<typeof containerAppsTargetSchema>;
