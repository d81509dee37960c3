import { z } from "zod";

/** Adapter name a rollout policy gives in `router.adapter`. */
export const CLOUD_RUN_ADAPTER_NAME = "gcp-cloud-run";

/** A Google Cloud project id: 6–30 lower-case letters, digits and hyphens, starting with a letter. */
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** A Cloud Run region, e.g. `europe-west1`. */
const LOCATION = /^[a-z]+-[a-z]+[0-9]+$/;
/** A Cloud Run service name: lower-case letters, digits and hyphens, ≤ 49 characters, starting with a letter. */
const SERVICE_NAME = /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/;

/**
 * The policy's `router:` section for Cloud Run: which service's revisions the rollout splits. The
 * canary and stable revisions are `<service>-<version>` (what `gcloud run deploy --revision-suffix
 * <version>` names them).
 */
export const cloudRunTargetSchema = z
  .object({
    adapter: z.literal(CLOUD_RUN_ADAPTER_NAME),
    project: z
      .string()
      .regex(PROJECT_ID, "must be a Google Cloud project id (6-30 lower-case letters, digits, hyphens)"),
    location: z.string().regex(LOCATION, "must be a Cloud Run region such as europe-west1"),
    service: z
      .string()
      .regex(SERVICE_NAME, "must be a Cloud Run service name (lower-case letters, digits, hyphens; at most 49)"),
  })
  .strict();

/** A validated Cloud Run target. */
export type CloudRunTarget = z.infer<typeof cloudRunTargetSchema>;
