import type { Stats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { Inject, Injectable, type NestMiddleware } from "@nestjs/common";
import { COORDINATOR_CONFIG, type CoordinatorConfig } from "../config/coordinator-config.js";

const gzipAsync = promisify(gzip);

/** Paths other parts of the coordinator answer; the page never shadows them. */
const RESERVED_PREFIXES = ["/api", "/metrics", "/healthz", "/livez", "/socket.io"];

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".map", ".svg", ".txt"]);

/** Same-origin page, socket and REST; nothing may frame the page (operators will act from it). */
const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

type Request = IncomingMessage & { originalUrl?: string };

/**
 * Serves the built dashboard (`SENTRA_DASHBOARD_DIR`, default `dashboard/dist`) at `/`: its files,
 * and `index.html` for any other page path a browser asks for (client-side routes). Hashed files
 * under `/assets/` are cached for good, `index.html` is revalidated. Compressible files are sent
 * gzipped when the client accepts it. Until the page is built, `/` answers 503 saying how to build it.
 */
@Injectable()
export class DashboardSiteMiddleware implements NestMiddleware {
  private readonly root: string;
  private readonly gzipCache = new Map<string, { version: string; body: Buffer }>();

  constructor(@Inject(COORDINATOR_CONFIG) config: CoordinatorConfig) {
    this.root = resolve(config.dashboard.staticDir);
  }

  use(req: Request, res: ServerResponse, next: (error?: unknown) => void): void {
    this.handle(req, res).then(
      (handled) => {
        if (!handled) next();
      },
      (error: unknown) => next(error),
    );
  }

  /** Answers the request when it is for the page; false leaves it to the rest of the app. */
  async handle(req: Request, res: ServerResponse): Promise<boolean> {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.originalUrl ?? req.url ?? "/", "http://localhost").pathname);
    } catch {
      return false;
    }
    if (RESERVED_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`))) return false;
    const wantsPage = pathname === "/" || (req.headers.accept ?? "").includes("text/html");

    const index = join(this.root, "index.html");
    const indexStats = await statFile(index);
    if (!indexStats) {
      if (!wantsPage) return false;
      sendNotBuilt(res);
      return true;
    }
    const file = resolve(this.root, `.${pathname}`);
    if (file !== this.root && !file.startsWith(`${this.root}${sep}`)) return false;
    const fileStats = file === this.root ? undefined : await statFile(file);
    if (fileStats) {
      await this.sendFile(req, res, file, fileStats, pathname.startsWith("/assets/"));
      return true;
    }
    // A missing file (it has an extension) is a 404 from the app; any other page path is the app's.
    if (extname(pathname) !== "" || !wantsPage) return false;
    await this.sendFile(req, res, index, indexStats, false);
    return true;
  }

  private async sendFile(
    req: Request,
    res: ServerResponse,
    file: string,
    stats: Stats,
    immutable: boolean,
  ): Promise<void> {
    const extension = extname(file);
    const headers: Record<string, string> = {
      "Content-Type": CONTENT_TYPES[extension] ?? "application/octet-stream",
      "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      "Last-Modified": stats.mtime.toUTCString(),
      ...(extension === ".html" ? SECURITY_HEADERS : { "X-Content-Type-Options": "nosniff" }),
    };
    if (req.headers["if-modified-since"] === headers["Last-Modified"]) {
      res.writeHead(304, headers).end();
      return;
    }
    let body: Buffer = await readFile(file);
    if (COMPRESSIBLE.has(extension)) {
      headers.Vary = "Accept-Encoding";
      if (body.length > 1_024 && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
        body = await this.gzipped(file, stats, body);
        headers["Content-Encoding"] = "gzip";
      }
    }
    headers["Content-Length"] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  }

  /** Built files change only on a rebuild: each is compressed once per version. */
  private async gzipped(file: string, stats: Stats, body: Buffer): Promise<Buffer> {
    const version = `${stats.mtimeMs}:${stats.size}`;
    const cached = this.gzipCache.get(file);
    if (cached?.version === version) return cached.body;
    const compressed = await gzipAsync(body);
    this.gzipCache.set(file, { version, body: compressed });
    return compressed;
  }
}

async function statFile(path: string): Promise<Stats | undefined> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats : undefined;
  } catch {
    return undefined;
  }
}

function sendNotBuilt(res: ServerResponse): void {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sentra — dashboard not built</title>
<style>body{margin:0;min-height:100vh;display:grid;place-items:center;background:#070a12;color:#dbe4f3;
font:16px/1.6 system-ui,sans-serif}main{max-width:34rem;padding:2rem}code{background:#141b2b;padding:.1rem .4rem;
border-radius:4px;color:#7dd3fc}h1{font-size:1.3rem;color:#fff}</style></head>
<body><main><h1>The dashboard has not been built yet</h1>
<p>Run <code>npm run build</code> at the repository root (or <code>npm run build --workspace dashboard</code>),
then reload this page. The coordinator serves the page from <code>SENTRA_DASHBOARD_DIR</code>
(default <code>dashboard/dist</code>).</p>
<p>The API, <code>/healthz</code> and <code>/metrics</code> work meanwhile.</p></main></body></html>`;
  res.writeHead(503, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Retry-After": "30",
    ...SECURITY_HEADERS,
  });
  res.end(body);
}
