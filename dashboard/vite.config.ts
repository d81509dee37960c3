import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** Where `npm run dev` proxies the socket and the API: a running coordinator. */
const coordinatorUrl = process.env.SENTRA_COORDINATOR_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      // The socket protocol shared with the coordinator: a dependency-free file (no node code).
      "@sentra/common/dashboard-protocol": fileURLToPath(
        new URL("../common/src/dashboard-protocol.ts", import.meta.url),
      ),
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    // three.js alone is ~700 kB minified; the page is one app, served gzipped by the coordinator.
    chunkSizeWarningLimit: 1_600,
  },
  server: {
    proxy: {
      "/socket.io": { target: coordinatorUrl, ws: true },
      "/api": coordinatorUrl,
    },
  },
});
