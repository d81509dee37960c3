import { z } from "zod";
import { resourceGroupSchema, subscriptionIdSchema } from "../azure/azure-target-fields.js";

/** Adapter name a rollout policy gives in `router.adapter`. */
export const FUNCTION_APP_ADAPTER_NAME = "azure-functions";

/** A Function App (site) name: 2–60 letters, digits and `-`, not starting or ending with `-`. */
const SITE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]$/;
/** A deployment slot name: 1–59 letters, digits and `-`; never `production` (that is the site). */
const SLOT_NAME = /^(?!production$)[a-zA-Z0-9][a-zA-Z0-9-]{0,58}$/i;
/** A host name: DNS labels separated by dots. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/**
 * The policy's `router:` section for Azure Functions: the Function App whose production traffic is
 * rerouted, and the deployment slot that holds the canary. `slotHostName` is the slot's host the
 * ramp-up rule sends requests to; by default `<site>-<slot>.azurewebsites.net` (set it for a
 * sovereign cloud or an App Service Environment).
 */
export const functionAppTargetSchema = z
  .object({
    adapter: z.literal(FUNCTION_APP_ADAPTER_NAME),
    subscriptionId: subscriptionIdSchema,
    resourceGroup: resourceGroupSchema,
    site: z.string().regex(SITE_NAME, "must be a Function App name (2-60 letters, digits, -)"),
    slot: z.string().regex(SLOT_NAME, "must be a deployment slot name (letters, digits, -; not production)"),
    slotHostName: z.string().regex(HOST_NAME, "must be a host name such as shop-staging.azurewebsites.net").optional(),
  })
  .strict();

/** A validated Azure Functions target. */
export type FunctionAppTarget = z.infer<typeof functionAppTargetSchema>;
