import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, get, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { DashboardSiteMiddleware } from "./dashboard-site.middleware.js";

describe("the dashboard site served by the coordinator", () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sentra-dashboard-site-"));
    const site = new DashboardSiteMiddleware({ dashboard: { staticDir: dir } } as unknown as CoordinatorConfig);
    // What the rest of the app answers when the page does not.
    server = createServer((req, res) =>
      site.use(req, res, () => res.writeHead(404, { "Content-Type": "text/plain" }).end("app")),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const build = async (): Promise<void> => {
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>Sentra</title>");
    await writeFile(join(dir, "assets", "index-abc123.js"), `console.log(${JSON.stringify("x".repeat(4_000))});`);
  };

  it("answers 503 with how to build the page until it is built, and leaves the API alone", async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("npm run build");
    expect((await fetch(`${base}/healthz`)).status).toBe(404);
    expect((await fetch(`${base}/livez`)).status).toBe(404);
    expect(await (await fetch(`${base}/api/v1/migrations`)).text()).toBe("app");
  });

  it("serves the built page, its hashed assets (gzipped, cached for good) and index.html for page routes", async () => {
    await build();
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(index.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");

    const asset = await fetch(`${base}/assets/index-abc123.js`, { headers: { "accept-encoding": "gzip" } });
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await asset.text()).toContain("console.log"); // fetch inflates the gzip
    const raw = await new Promise<Buffer>((resolve, reject) => {
      get(`${base}/assets/index-abc123.js`, { headers: { "accept-encoding": "gzip" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      }).on("error", reject);
    });
    expect(gunzipSync(raw).toString()).toContain("console.log");

    const route = await fetch(`${base}/regions/aws:eu-west-1`, { headers: { accept: "text/html" } });
    expect(await route.text()).toContain("<title>Sentra</title>");
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { headers: { accept: "text/html" } })).status).toBe(404);
  });

  it("never serves a file outside the built folder", async () => {
    await build();
    await writeFile(join(dir, "..", `${dir.split("/").pop()}-secret.txt`), "secret");
    const escaped = await fetch(`${base}/..%2f${dir.split("/").pop()}-secret.txt`);
    expect(await escaped.text()).not.toContain("secret");
    await rm(join(dir, "..", `${dir.split("/").pop()}-secret.txt`));
  });
});
