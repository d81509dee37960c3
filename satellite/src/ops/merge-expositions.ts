/** One Prometheus text exposition and the labels to add to each of its samples. */
export interface LabelledExposition {
  readonly labels: Readonly<Record<string, string>>;
  readonly text: string;
}

/**
 * Merges Prometheus text expositions (format 0.0.4) into one: each metric family's `# HELP` and
 * `# TYPE` once, then the samples of every source, each with its source's labels added first. The
 * sources must not already use those labels. Lets one scrape target serve several registries whose
 * metric names collide — e.g. the workloads of every simulated cluster of a satellite, told apart
 * by `cluster`.
 */
export function mergeExpositions(sources: readonly LabelledExposition[]): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  for (const source of sources) {
    const injected = Object.entries(source.labels)
      .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
      .join(",");
    let family: { header: string[]; samples: string[] } | undefined;
    for (const line of source.text.split("\n")) {
      if (line.trim() === "") continue;
      const comment = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (comment) {
        const name = comment[2] as string;
        family = families.get(name);
        if (family === undefined) {
          family = { header: [], samples: [] };
          families.set(name, family);
        }
        if (!family.header.some((existing) => existing.startsWith(`# ${comment[1]} `))) family.header.push(line);
        continue;
      }
      if (line.startsWith("#")) continue;
      const sample = injected === "" ? line : withLabels(line, injected);
      if (family === undefined) {
        family = { header: [], samples: [] };
        families.set(line.split(/[{\s]/)[0] ?? line, family);
      }
      family.samples.push(sample);
    }
  }
  return [...families.values()]
    .flatMap((family) => [...family.header, ...family.samples])
    .join("\n")
    .concat("\n");
}

/** `name{a="b"} 1` → `name{extra,a="b"} 1`; `name 1` → `name{extra} 1`. */
function withLabels(line: string, labels: string): string {
  const brace = line.indexOf("{");
  const space = line.indexOf(" ");
  if (brace >= 0 && (space < 0 || brace < space)) {
    const empty = line[brace + 1] === "}";
    return `${line.slice(0, brace + 1)}${labels}${empty ? "" : ","}${line.slice(brace + 1)}`;
  }
  return space < 0 ? line : `${line.slice(0, space)}{${labels}}${line.slice(space)}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
