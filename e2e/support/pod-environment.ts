import { chmod, copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";

/** The parts of a rendered pod template that say how its container runs. */
export interface RenderedPodTemplate {
  spec: {
    containers: RenderedContainer[];
    volumes?: { name: string; secret?: { secretName: string; defaultMode?: number }; emptyDir?: unknown }[];
  };
}

export interface RenderedContainer {
  name: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

/** For each Secret the pod mounts, by name: the local file standing for each key. */
export type SecretFiles = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * The environment a rendered container would see, for running it as a local process: each `value:`
 * as rendered, with paths under a mounted volume moved to a local folder under `dir` that holds
 * what the kubelet would mount there (a Secret's keys copied from `secrets`, with the volume's
 * `defaultMode`; an emptyDir). Anything it cannot stand in for (`valueFrom`, other volume kinds, a
 * Secret without files) fails, naming it: the test must not run something other than the chart's.
 */
export async function containerEnvironment(
  template: RenderedPodTemplate,
  containerName: string,
  secrets: SecretFiles,
  dir: string,
): Promise<Record<string, string>> {
  const container = template.spec.containers.find((candidate) => candidate.name === containerName);
  if (container === undefined) throw new Error(`the pod has no container ${containerName}`);
  const mounts: { mountPath: string; localPath: string }[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = template.spec.volumes?.find((candidate) => candidate.name === mount.name);
    const localPath = join(dir, mount.name);
    await mkdir(localPath, { recursive: true });
    if (volume?.secret) {
      const files = secrets[volume.secret.secretName];
      if (files === undefined) throw new Error(`the pod mounts Secret ${volume.secret.secretName}: give its files`);
      for (const [key, source] of Object.entries(files)) {
        await copyFile(source, join(localPath, key));
        await chmod(join(localPath, key), volume.secret.defaultMode ?? 0o644);
      }
    } else if (volume?.emptyDir === undefined) {
      throw new Error(`volume ${mount.name}: only Secret and emptyDir volumes are stood in for`);
    }
    mounts.push({ mountPath: mount.mountPath, localPath });
  }
  const environment: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.value === undefined) throw new Error(`env ${entry.name}: only value entries are resolved`);
    const mount = mounts.find(({ mountPath }) => entry.value === mountPath || entry.value?.startsWith(`${mountPath}/`));
    environment[entry.name] = mount ? mount.localPath + entry.value.slice(mount.mountPath.length) : entry.value;
  }
  return environment;
}
