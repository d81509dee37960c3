import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      // As in dashboard/vite.config.ts: the page's pure modules import the shared protocol file.
      "@sentra/common/dashboard-protocol": fileURLToPath(
        new URL("./common/src/dashboard-protocol.ts", import.meta.url),
      ),
    },
  },
  test: {
    include: [
      "{proto,common,testkit,satellite,coordinator,cli,bench}/{src,test}/**/*.test.ts",
      "dashboard/src/**/*.test.ts",
      "e2e/**/*.test.ts",
    ],
    // Generous: end-to-end tests start real processes, and two run at once on a 2-core machine.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    // Two cores: integration tests start real processes and servers; keep them from starving.
    maxWorkers: 2,
    pool: "forks",
  },
});
