import { z } from "zod";

/** An Azure subscription id (a GUID). */
export const subscriptionIdSchema = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    "must be a subscription id (a GUID)",
  );

/** A resource group name: 1–90 letters, digits, `_`, `-`, `.`, `(`, `)`, not ending in `.`. */
export const resourceGroupSchema = z
  .string()
  .regex(
    /^[-\w.()]{0,89}[-\w()]$/u,
    "must be a resource group name (1-90 letters, digits, _ - . ( ), not ending in .)",
  );
