#!/usr/bin/env node
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { releasePolicyCrd } from "./release-policy-crd.js";

/**
 * Writes the ReleasePolicy CRD as the chart ships it (`helm install` applies `crds/` first):
 * `node satellite/dist/gitops/write-crd-main.js charts/sentra-satellite/crds/releasepolicies.sentra.io.yaml`.
 * The chart test fails when the file and releasePolicyCrd() differ.
 */
export const CRD_FILE_HEADER =
  "# Generated from satellite/src/gitops/release-policy-crd.ts by satellite/dist/gitops/write-crd-main.js; do not edit.\n";

const [path] = process.argv.slice(2);
if (!path) {
  process.stderr.write("usage: write-crd-main.js <file>\n");
  process.exitCode = 2;
} else {
  writeFileSync(path, CRD_FILE_HEADER + stringify(releasePolicyCrd(), { lineWidth: 0 }));
  process.stdout.write(`${path}\n`);
}
