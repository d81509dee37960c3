import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { SentraError } from "./sentra-error.js";
import { findRepoRoot, resolveSharedDataDir } from "./shared-data-dir.js";

const here = dirname(fileURLToPath(import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "sentra-shared-data-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("findRepoRoot", () => {
  it("finds the folder whose package.json declares the workspaces, from a file URL or a path", () => {
    const root = findRepoRoot(import.meta.url);
    expect(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).workspaces).toContain("common");
    expect(findRepoRoot(here)).toBe(root);
    expect(findRepoRoot(pathToFileURL(join(root, "satellite", "src", "main.ts")).href)).toBe(root);
    expect(findRepoRoot()).toBe(root);
  });

  it("fails naming where it started when no workspace is above", () => {
    expect(() => findRepoRoot(scratch)).toThrow(`no package.json with "workspaces" at or above ${scratch}`);
  });
});

describe("resolveSharedDataDir", () => {
  it("takes SENTRA_SHARED_DATA (relative to the working directory) when set", () => {
    const dir = join(scratch, "data");
    mkdirSync(join(dir, "spot"), { recursive: true });
    expect(resolveSharedDataDir({ SENTRA_SHARED_DATA: dir })).toBe(dir);
    expect(resolveSharedDataDir({ SENTRA_SHARED_DATA: relative(process.cwd(), dir) })).toBe(dir);
  });

  it("else takes ../shared/data beside the repository root", () => {
    const repo = join(scratch, "checkout");
    mkdirSync(join(repo, "common", "src"), { recursive: true });
    writeFileSync(join(repo, "package.json"), JSON.stringify({ workspaces: ["common"] }));
    const from = pathToFileURL(join(repo, "common", "src", "shared-data-dir.ts")).href;
    const beside = join(scratch, "shared", "data");
    expect(() => resolveSharedDataDir({}, from)).toThrow(`shared data folder not found at ${beside} `);
    mkdirSync(join(beside, "spot"), { recursive: true });
    expect(resolveSharedDataDir({}, from)).toBe(beside);
    expect(resolveSharedDataDir({ SENTRA_SHARED_DATA: "" }, from)).toBe(beside);
  });

  it("fails with NOT_FOUND naming the folder tried and the variable when the data is missing", () => {
    const failure = (() => {
      try {
        return resolveSharedDataDir({ SENTRA_SHARED_DATA: "/nonexistent/shared-data" });
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(SentraError);
    expect((failure as SentraError).code).toBe("NOT_FOUND");
    expect((failure as SentraError).message).toMatch(
      /^shared data folder not found at \/nonexistent\/shared-data .*set SENTRA_SHARED_DATA/,
    );
  });
});
