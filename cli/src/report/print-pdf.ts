import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SentraError } from "@sentra/common";

/** @default "/usr/bin/chromium" (Debian's package); SENTRA_CHROMIUM or --chromium points elsewhere. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";
/** @default 60 s — a headless print of a one-page report takes about a second. */
const PRINT_TIMEOUT_MS = 60_000;

/**
 * Prints an HTML page to PDF with headless Chromium's own `--print-to-pdf` (no browser-driver
 * dependency for the CLI), from a private temporary profile so a running browser is untouched.
 */
export async function printPdf(html: string, pdfPath: string, chromium: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "sentra-report-"));
  try {
    const page = join(dir, "report.html");
    await writeFile(page, html);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        chromium,
        [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          `--user-data-dir=${join(dir, "profile")}`,
          "--no-pdf-header-footer",
          `--print-to-pdf=${pdfPath}`,
          pathToFileURL(page).href,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), PRINT_TIMEOUT_MS);
      child.on("error", (error) =>
        reject(
          new SentraError(
            "FAILED_PRECONDITION",
            `cannot run ${chromium} for the PDF: ${error.message}; install chromium or pass --chromium`,
            {
              field: "--chromium",
            },
          ),
        ),
      );
      child.on("close", (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else
          reject(
            new SentraError(
              "INTERNAL",
              `chromium exited ${code} printing the PDF: ${stderr.trim().split("\n").at(-1) ?? ""}`,
            ),
          );
      });
    });
    const printed = await stat(pdfPath).catch(() => undefined);
    if (!printed || printed.size === 0) throw new SentraError("INTERNAL", `chromium wrote no PDF at ${pdfPath}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
