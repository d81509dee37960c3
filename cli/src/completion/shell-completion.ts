import type { Command } from "commander";

/** The words that may follow one command path: its subcommands and its flags (globals included). */
interface CompletionNode {
  path: string;
  words: string[];
}

function collect(command: Command, path: string[], inherited: string[], nodes: CompletionNode[]): void {
  const flags = command.options.flatMap((option) =>
    [option.long, option.short].filter((flag): flag is string => !!flag),
  );
  // Global options are recognised after subcommands too (commander's default), so offer them everywhere.
  const globals = path.length === 0 ? flags : inherited;
  const visible = command.commands.filter((sub) => !(sub as Command & { _hidden?: boolean })._hidden);
  nodes.push({
    path: path.join(" "),
    words: [...visible.map((sub) => sub.name()), ...(path.length === 0 ? flags : [...flags, ...globals]), "--help"],
  });
  for (const sub of visible) collect(sub, [...path, sub.name()], globals, nodes);
}

function nodesOf(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  collect(program, [], [], nodes);
  return nodes;
}

/**
 * A bash completion script generated from the command tree, so it never drifts from the flags
 * the CLI really takes. zsh loads it through bashcompinit.
 */
export function bashCompletionScript(program: Command): string {
  const name = program.name();
  const nodes = nodesOf(program);
  const cases = nodes.map((node) => `    "${node.path}") words="${[...new Set(node.words)].join(" ")}" ;;`).join("\n");
  const paths = nodes.map((node) => `"${node.path}"`).join(" ");
  return `# ${name} completion for bash (and zsh with bashcompinit). Load with:  source <(${name} completion bash)
_${name}_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word candidate i known
  local -a paths=(${paths})
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    candidate="\${path:+$path }$word"
    for known in "\${paths[@]}"; do
      if [[ "$known" == "$candidate" ]]; then path="$candidate"; break; fi
    done
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _${name}_completion ${name}
`;
}

export function zshCompletionScript(program: Command): string {
  return `# ${program.name()} completion for zsh. Load with:  source <(${program.name()} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletionScript(program)}`;
}

/** fish: one `complete` line per word, conditioned on the command path typed so far. */
export function fishCompletionScript(program: Command): string {
  const name = program.name();
  const lines = [
    `# ${name} completion for fish. Load with:  ${name} completion fish | source`,
    `complete -c ${name} -f`,
  ];
  for (const node of nodesOf(program)) {
    const depth = node.path === "" ? 0 : node.path.split(" ").length;
    const condition =
      depth === 0
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${node.path.split(" ").at(-1)}; and test (count (commandline -opc)) -ge ${depth + 1}`;
    for (const word of new Set(node.words)) {
      const spec = word.startsWith("--")
        ? `-l ${word.slice(2)}`
        : word.startsWith("-")
          ? `-s ${word.slice(1)}`
          : `-a ${word}`;
      lines.push(`complete -c ${name} -n '${condition}' ${spec}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
