import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{proto,common,testkit,satellite,coordinator,cli}/{src,test}/**/*.test.ts", "e2e/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: integration tests start real processes and servers; keep them from starving.
    maxWorkers: 2,
    pool: "forks",
  },
});
